#include "services/common/reflection/reflection_service.h"

#include <google/protobuf/descriptor.pb.h>

#include <stdexcept>
#include <utility>

#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "proto/descriptor_set.h"

namespace cryptotracker::common {

DescriptorIndex::DescriptorIndex(std::string_view descriptor_set) {
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromArray(descriptor_set.data(),
                          static_cast<int>(descriptor_set.size()))) {
    throw std::runtime_error("reflection: descriptor set does not parse");
  }
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    if (pool_.BuildFile(file) == nullptr) {
      throw std::runtime_error("reflection: cannot index " + file.name());
    }
    serialized_files_[file.name()] = file.SerializeAsString();
  }
}

std::vector<std::string> DescriptorIndex::FileWithDependencies(
    const std::string& file_name, std::set<std::string>& already_sent) const {
  std::vector<std::string> out;
  const google::protobuf::FileDescriptor* root =
      pool_.FindFileByName(file_name);
  if (root == nullptr) return out;
  std::vector<const google::protobuf::FileDescriptor*> pending = {root};
  while (!pending.empty()) {
    const google::protobuf::FileDescriptor* file = pending.back();
    pending.pop_back();
    // The requested file is always sent (the client asked for it); its
    // imports only when this stream has not carried them yet.
    if (!already_sent.insert(file->name()).second && file != root) continue;
    out.push_back(serialized_files_.at(file->name()));
    for (int i = 0; i < file->dependency_count(); ++i) {
      pending.push_back(file->dependency(i));
    }
  }
  return out;
}

std::string DescriptorIndex::FileContainingSymbol(
    const std::string& symbol) const {
  const google::protobuf::FileDescriptor* file =
      pool_.FindFileContainingSymbol(symbol);
  return file == nullptr ? std::string() : file->name();
}

bool DescriptorIndex::HasMessage(const std::string& type_name) const {
  return pool_.FindMessageTypeByName(type_name) != nullptr;
}

namespace {

const DescriptorIndex& SharedIndex() {
  static const DescriptorIndex index(proto::DescriptorSetBytes());
  return index;
}

// The v1 and v1alpha protocols have identical messages in different
// namespaces; one template serves both.
template <typename Service, typename Request, typename Response>
class ReflectionService final : public Service {
 public:
  explicit ReflectionService(const std::vector<std::string>* service_names)
      : service_names_(service_names) {}

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<Response, Request>* stream) override {
    // Files already sent on this stream; clients cache them, so each file is
    // sent once per stream like the reference implementation does.
    std::set<std::string> sent;
    Request request;
    while (stream->Read(&request)) {
      Response response;
      response.set_valid_host(request.host());
      *response.mutable_original_request() = request;
      Answer(request, sent, response);
      if (!stream->Write(response)) break;
      if (context->IsCancelled()) break;
    }
    return grpc::Status::OK;
  }

 private:
  void Answer(const Request& request, std::set<std::string>& sent,
              Response& response) const {
    const DescriptorIndex& index = SharedIndex();
    switch (request.message_request_case()) {
      case Request::kListServices:
        for (const std::string& name : *service_names_) {
          response.mutable_list_services_response()->add_service()->set_name(
              name);
        }
        return;
      case Request::kFileByFilename:
        SendFile(index, request.file_by_filename(), sent, response);
        return;
      case Request::kFileContainingSymbol: {
        const std::string file =
            index.FileContainingSymbol(request.file_containing_symbol());
        if (file.empty()) {
          Error(response, grpc::StatusCode::NOT_FOUND,
                "symbol not found: " + request.file_containing_symbol());
          return;
        }
        SendFile(index, file, sent, response);
        return;
      }
      case Request::kFileContainingExtension:
        // The contracts define no extensions.
        Error(response, grpc::StatusCode::NOT_FOUND, "extension not found");
        return;
      case Request::kAllExtensionNumbersOfType: {
        const std::string& type = request.all_extension_numbers_of_type();
        if (!index.HasMessage(type)) {
          Error(response, grpc::StatusCode::NOT_FOUND,
                "type not found: " + type);
          return;
        }
        response.mutable_all_extension_numbers_response()->set_base_type_name(
            type);
        return;
      }
      default:
        Error(response, grpc::StatusCode::INVALID_ARGUMENT,
              "unsupported reflection request");
        return;
    }
  }

  static void SendFile(const DescriptorIndex& index, const std::string& name,
                       std::set<std::string>& sent, Response& response) {
    std::vector<std::string> files = index.FileWithDependencies(name, sent);
    if (files.empty()) {
      Error(response, grpc::StatusCode::NOT_FOUND, "file not found: " + name);
      return;
    }
    for (std::string& file : files) {
      response.mutable_file_descriptor_response()->add_file_descriptor_proto(
          std::move(file));
    }
  }

  static void Error(Response& response, grpc::StatusCode code,
                    const std::string& message) {
    response.mutable_error_response()->set_error_code(static_cast<int>(code));
    response.mutable_error_response()->set_error_message(message);
  }

  const std::vector<std::string>* service_names_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeReflectionServices(
    const std::vector<std::string>* service_names) {
  namespace v1 = grpc::reflection::v1;
  namespace v1alpha = grpc::reflection::v1alpha;
  SharedIndex();  // Fail at start-up, not on the first request.
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(
      std::make_unique<ReflectionService<v1::ServerReflection::Service,
                                         v1::ServerReflectionRequest,
                                         v1::ServerReflectionResponse>>(
          service_names));
  services.push_back(
      std::make_unique<ReflectionService<v1alpha::ServerReflection::Service,
                                         v1alpha::ServerReflectionRequest,
                                         v1alpha::ServerReflectionResponse>>(
          service_names));
  return services;
}

}  // namespace cryptotracker::common
