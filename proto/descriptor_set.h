// The serialized google.protobuf.FileDescriptorSet of every Crypto Tracker
// contract and the standard gRPC health and reflection protos, including
// source comments (see proto/BUILD.bazel for why it exists).
#ifndef CRYPTOTRACKER_PROTO_DESCRIPTOR_SET_H_
#define CRYPTOTRACKER_PROTO_DESCRIPTOR_SET_H_

#include <string_view>

namespace cryptotracker::proto {

std::string_view DescriptorSetBytes();

}  // namespace cryptotracker::proto

#endif  // CRYPTOTRACKER_PROTO_DESCRIPTOR_SET_H_
