#!/usr/bin/env bash
# Generates gateway/gen/ from the gRPC contracts under ../proto and the HTTP
# rules under http/, and the same for the test-only services under
# testdata/proto and testdata/http:
#   gen/<package path>/             Go messages, gRPC clients, grpc-gateway handlers
#   gen/services/services.go        table of the services the binary can front
#   gen/services/openapi/<svc>.swagger.json  OpenAPI v2 document per service
#   gen/testservices/               the same table for the test-only services
#
# A service is fronted when both <proto root>/.../<svc>/<ver>/*.proto and
# <rules>/<svc>.yaml exist; protos without HTTP rules still get Go code (they
# may be imported by others). A table entry holds only what is generated
# (name, handlers, OpenAPI document); what else the gateway knows about a
# service is its declaration in internal/service/declared.go, joined with the
# entry at start-up. The protoc plugins are the versions pinned by the `tool`
# directives in go.mod. gen/ is rebuilt from scratch on every run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

readonly module="github.com/cryptotracker/cryptotracker/gateway"
readonly gen_module="${module}/gen"
readonly protoc="${PROTOC:-/usr/bin/protoc}"
readonly tools_dir="${PWD}/bin/tools"
readonly gen_dir="gen"

if [[ ! -x "${protoc}" ]]; then
  echo "generate.sh: protoc not found at ${protoc}" >&2
  exit 1
fi

# Build the pinned plugins into bin/tools so protoc finds them by path.
GOBIN="${tools_dir}" go install tool

rm -rf "${gen_dir}"

join_options() { local IFS=,; echo "$*"; }

# The Go package name of a proto package directory .../<svc>/<ver>, e.g.
# cryptotracker/user/v1 -> userv1.
package_name() {
  local dir="$1"
  echo "$(basename "$(dirname "${dir}")")$(basename "${dir}")" | tr -cd 'a-zA-Z0-9'
}

# generate_tree <proto root> <rules dir> <table package>
# Generates Go code for every proto package directory under <proto root>,
# handlers and an OpenAPI document for those with <rules dir>/<svc>.yaml,
# and the table gen/<table package>/services.go of the latter.
generate_tree() {
  local proto_root="$1" rules_dir="$2" table_package="$3"
  local table_dir="${gen_dir}/${table_package}"
  mkdir -p "${table_dir}/openapi"

  # Every proto package directory, e.g. cryptotracker/user/v1.
  local proto_dirs
  mapfile -t proto_dirs < <(cd "${proto_root}" &&
    find . -name '*.proto' -printf '%h\n' | sed 's|^\./||' | LC_ALL=C sort -u)
  if [[ ${#proto_dirs[@]} -eq 0 ]]; then
    echo "generate.sh: no .proto files under ${proto_root}" >&2
    exit 1
  fi

  # The Go import path of a proto package directory is fixed here (M options)
  # rather than trusted from each file's go_package, so every contract lands
  # under gen/ with a predictable package name such as "userv1".
  local go_import_options=() dir file
  for dir in "${proto_dirs[@]}"; do
    for file in "${proto_root}/${dir}"/*.proto; do
      go_import_options+=("M${file#"${proto_root}/"}=${gen_module}/${dir};$(package_name "${dir}")")
    done
  done
  local go_opts
  go_opts="$(join_options "module=${gen_module}" "${go_import_options[@]}")"

  local run_protoc=("${protoc}" --proto_path="${proto_root}" --proto_path=/usr/include
    --plugin=protoc-gen-go="${tools_dir}/protoc-gen-go"
    --plugin=protoc-gen-go-grpc="${tools_dir}/protoc-gen-go-grpc"
    --plugin=protoc-gen-grpc-gateway="${tools_dir}/protoc-gen-grpc-gateway"
    --plugin=protoc-gen-openapiv2="${tools_dir}/protoc-gen-openapiv2")

  local fronted_services=() files service rules
  for dir in "${proto_dirs[@]}"; do
    mapfile -t files < <(cd "${proto_root}" && ls "${dir}"/*.proto)
    "${run_protoc[@]}" \
      --go_out="${gen_dir}" --go_opt="${go_opts}" \
      --go-grpc_out="${gen_dir}" --go-grpc_opt="${go_opts}" \
      "${files[@]}"

    service="$(basename "$(dirname "${dir}")")"
    rules="${rules_dir}/${service}.yaml"
    [[ -f "${rules}" ]] || continue
    "${run_protoc[@]}" \
      --grpc-gateway_out="${gen_dir}" \
      --grpc-gateway_opt="${go_opts},grpc_api_configuration=${rules},generate_unbound_methods=false" \
      --openapiv2_out="${table_dir}/openapi" \
      --openapiv2_opt="$(join_options "${go_import_options[@]}"),grpc_api_configuration=${rules},generate_unbound_methods=false,allow_merge=true,merge_file_name=${service}" \
      "${files[@]}"
    fronted_services+=("${service}:${dir}")
  done
  if [[ ${#fronted_services[@]} -eq 0 ]]; then
    echo "generate.sh: no service under ${proto_root} has HTTP rules in ${rules_dir}" >&2
    exit 1
  fi
  write_table "${table_dir}" "${table_package}" "${fronted_services[@]}"
  echo "generate.sh: ${table_package}: ${fronted_services[*]%%:*}"
}

# write_table <table dir> <table package> <service>:<proto dir>...
# Writes the service table. Each entry registers every grpc-gateway handler
# generated for the service's proto package.
write_table() {
  local table_dir="$1" table_package="$2"
  shift 2
  local entry service dir pkg_name fn register_funcs
  {
    echo "// Code generated by generate.sh. DO NOT EDIT."
    echo
    echo "// Package ${table_package} lists the services generated from one tree of"
    echo "// contracts and HTTP rules; service.Join adds their declarations."
    echo "package ${table_package}"
    echo
    echo "import ("
    echo "	\"context\""
    echo "	\"embed\""
    echo
    echo "	\"github.com/grpc-ecosystem/grpc-gateway/v2/runtime\""
    echo "	\"google.golang.org/grpc\""
    echo
    echo "	\"${module}/internal/service\""
    for entry in "$@"; do
      dir="${entry#*:}"
      echo "	$(package_name "${dir}") \"${gen_module}/${dir}\""
    done
    echo ")"
    echo
    echo "//go:embed openapi/*.swagger.json"
    echo "var openapiDocuments embed.FS"
    echo
    echo "// All is every service with HTTP rules, in name order."
    echo "var All = []service.Definition{"
    for entry in "$@"; do
      service="${entry%%:*}"
      dir="${entry#*:}"
      pkg_name="$(package_name "${dir}")"
      mapfile -t register_funcs < <(cat "${gen_dir}/${dir}"/*.pb.gw.go 2>/dev/null |
        sed -n 's/^func \(Register[A-Za-z0-9_]*Handler\)(ctx context.Context, mux \*runtime.ServeMux, conn \*grpc.ClientConn) error {$/\1/p')
      if [[ ${#register_funcs[@]} -eq 0 ]]; then
        echo "generate.sh: the HTTP rules of ${service} map no method of ${dir}" >&2
        exit 1
      fi
      echo "	{"
      echo "		Name:    \"${service}\","
      echo "		OpenAPI: mustReadOpenAPI(\"${service}\"),"
      echo "		Register: func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {"
      for fn in "${register_funcs[@]}"; do
        echo "			if err := ${pkg_name}.${fn}(ctx, mux, conn); err != nil {"
        echo "				return err"
        echo "			}"
      done
      echo "			return nil"
      echo "		},"
      echo "	},"
    done
    echo "}"
    echo
    echo "func mustReadOpenAPI(name string) []byte {"
    echo "	document, err := openapiDocuments.ReadFile(\"openapi/\" + name + \".swagger.json\")"
    echo "	if err != nil {"
    echo "		panic(err)"
    echo "	}"
    echo "	return document"
    echo "}"
  } > "${table_dir}/services.go.tmp"
  gofmt "${table_dir}/services.go.tmp" > "${table_dir}/services.go"
  rm "${table_dir}/services.go.tmp"
}

generate_tree ../proto http services
# The test-only services (testdata/) used by the gateway's tests.
generate_tree testdata/proto testdata/http testservices
