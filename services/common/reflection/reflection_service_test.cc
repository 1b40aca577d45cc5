#include "services/common/reflection/reflection_service.h"

#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace cryptotracker::common {
namespace {

namespace v1alpha = grpc::reflection::v1alpha;

class ReflectionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services_ = MakeReflectionServices(&names_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    for (auto& service : services_) builder.RegisterService(service.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { server_->Shutdown(); }

  // Sends one request on a fresh stream and returns the answer.
  v1alpha::ServerReflectionResponse Ask(
      const v1alpha::ServerReflectionRequest& request) {
    auto stub = v1alpha::ServerReflection::NewStub(channel_);
    grpc::ClientContext context;
    auto stream = stub->ServerReflectionInfo(&context);
    EXPECT_TRUE(stream->Write(request));
    stream->WritesDone();
    v1alpha::ServerReflectionResponse response;
    EXPECT_TRUE(stream->Read(&response));
    EXPECT_TRUE(stream->Finish().ok());
    return response;
  }

  const std::vector<std::string> names_ = {
      "cryptotracker.user.v1.UserService", "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection"};
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ReflectionServiceTest, ListsRegisteredServicesAndItself) {
  v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  auto response = Ask(request);
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "cryptotracker.user.v1.UserService", "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection"}));
}

TEST_F(ReflectionServiceTest, DescribesServiceWithCommentsAndImports) {
  v1alpha::ServerReflectionRequest request;
  request.set_file_containing_symbol("cryptotracker.user.v1.UserService");
  auto response = Ask(request);
  ASSERT_TRUE(response.has_file_descriptor_response());
  bool found_contract = false;
  bool found_timestamp = false;
  for (const std::string& bytes :
       response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    if (file.name() == "google/protobuf/timestamp.proto") {
      found_timestamp = true;
    }
    if (file.name() != "cryptotracker/user/v1/user_service.proto") continue;
    found_contract = true;
    std::string all_comments;
    for (const auto& location : file.source_code_info().location()) {
      all_comments += location.leading_comments();
    }
    EXPECT_NE(all_comments.find("Creates an account"), std::string::npos);
  }
  EXPECT_TRUE(found_contract);
  EXPECT_TRUE(found_timestamp);
}

TEST_F(ReflectionServiceTest, DescribesStandardHealthService) {
  v1alpha::ServerReflectionRequest request;
  request.set_file_containing_symbol("grpc.health.v1.Health.Check");
  auto response = Ask(request);
  ASSERT_TRUE(response.has_file_descriptor_response());
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(
      response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "grpc/health/v1/health.proto");
}

TEST_F(ReflectionServiceTest, UnknownSymbolIsNotFound) {
  v1alpha::ServerReflectionRequest request;
  request.set_file_containing_symbol("no.such.Symbol'; DROP TABLE users;--");
  auto response = Ask(request);
  ASSERT_TRUE(response.has_error_response());
  EXPECT_EQ(response.error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

TEST_F(ReflectionServiceTest, UnknownFileIsNotFound) {
  v1alpha::ServerReflectionRequest request;
  request.set_file_by_filename("../../etc/passwd");
  auto response = Ask(request);
  ASSERT_TRUE(response.has_error_response());
  EXPECT_EQ(response.error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

TEST_F(ReflectionServiceTest, V1ProtocolAnswersToo) {
  namespace v1 = grpc::reflection::v1;
  auto stub = v1::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);
  v1::ServerReflectionRequest request;
  request.set_file_by_filename(
      "cryptotracker/pricing/v1/pricing_service.proto");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  v1::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_TRUE(response.has_file_descriptor_response());
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace cryptotracker::common
