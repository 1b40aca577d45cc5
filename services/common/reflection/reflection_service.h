// Server reflection answered from a descriptor set that keeps source comments.
//
// gRPC's stock reflection plugin serves the descriptors compiled into the
// binary, which protoc strips of comments, so `grpcurl describe` would show
// bare signatures. This implementation serves proto:descriptor_set instead and
// speaks both grpc.reflection.v1 and grpc.reflection.v1alpha.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_REFLECTION_REFLECTION_SERVICE_H_
#define CRYPTOTRACKER_SERVICES_COMMON_REFLECTION_REFLECTION_SERVICE_H_

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cryptotracker::common {

// Immutable index over a FileDescriptorSet, shared by both protocol versions.
class DescriptorIndex {
 public:
  // Parses `descriptor_set` (a serialized FileDescriptorSet, files in
  // dependency order). Throws std::runtime_error when it is malformed, since
  // that is a build defect, not a runtime condition.
  explicit DescriptorIndex(std::string_view descriptor_set);

  // Serialized FileDescriptorProtos of the file and everything it imports
  // (transitively); imports named in `already_sent` are skipped, and every
  // file returned is added to it.
  // Empty when the file is unknown.
  std::vector<std::string> FileWithDependencies(
      const std::string& file_name, std::set<std::string>& already_sent) const;

  // Name of the file defining a fully-qualified symbol (message, enum,
  // service, method, field...), or "" when unknown.
  std::string FileContainingSymbol(const std::string& symbol) const;

  // Whether a fully-qualified message type is known (extension queries).
  bool HasMessage(const std::string& type_name) const;

 private:
  google::protobuf::DescriptorPool pool_;
  std::map<std::string, std::string> serialized_files_;
};

// Reflection services (v1 and v1alpha). ListServices answers with
// `*service_names`, the full names the server exposes (e.g.
// "cryptotracker.user.v1.UserService"), read at call time so that the server
// bootstrap can fill it in while the server is built. Register the services
// on the ServerBuilder; they and the list must outlive the server.
std::vector<std::unique_ptr<grpc::Service>> MakeReflectionServices(
    const std::vector<std::string>* service_names);

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_REFLECTION_REFLECTION_SERVICE_H_
