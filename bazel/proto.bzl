"""Generates C++ protobuf and gRPC code with Debian's protoc and grpc_cpp_plugin.

Bazel's own proto rules would want to build protobuf from source (a download);
this macro runs the system tools instead and wraps the output in a cc_library.
"""

_PROTOC = "/usr/bin/protoc"
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def cc_grpc_proto_library(name, srcs, proto_root, deps = [], grpc = True, visibility = None):
    """C++ messages (and gRPC stubs when grpc=True) for `srcs`.

    Args:
      name: the cc_library to create.
      srcs: .proto files, relative to this package.
      proto_root: import root, relative to this package ("" for the package itself).
      deps: other cc_grpc_proto_library targets whose protos these import.
      grpc: also generate service stubs.
      visibility: as usual.
    """
    outs = []
    for src in srcs:
        if not src.endswith(".proto"):
            fail("not a .proto file: " + src)
        stem = src[:-len(".proto")]
        outs += [stem + ".pb.h", stem + ".pb.cc"]
        if grpc:
            outs += [stem + ".grpc.pb.h", stem + ".grpc.pb.cc"]

    pkg = native.package_name()
    root = pkg + ("/" + proto_root if proto_root else "")
    rel = len(proto_root) + 1 if proto_root else 0
    imports = " ".join([s[rel:] for s in srcs])
    out_dir = "$(GENDIR)/" + root
    cmd = " ".join([
        _PROTOC,
        "--proto_path=" + root,
        "--proto_path=/usr/include",
        "--cpp_out=" + out_dir,
    ] + ([
        "--grpc_out=" + out_dir,
        "--plugin=protoc-gen-grpc=" + _GRPC_PLUGIN,
    ] if grpc else []) + [imports])

    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_srcs" for d in deps],
        outs = outs,
        cmd = cmd,
        message = "protoc " + name,
    )
    native.filegroup(name = name + "_srcs", srcs = srcs, visibility = visibility)
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = [proto_root] if proto_root else ["."],
        deps = deps + ["//third_party:grpc", "//third_party:protobuf"],
        visibility = visibility,
    )
