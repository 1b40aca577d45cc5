#include "services/common/server.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/support/sync_stream.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "echo.grpc.pb.h"
#include "services/common/testing/bound_port.h"

namespace cryptotracker::common {
namespace {

using ::testing::Contains;
using EchoService = cryptotracker::common::testing::v1::EchoService;
using cryptotracker::common::testing::v1::EchoRequest;
using cryptotracker::common::testing::v1::EchoResponse;

constexpr char kEchoServiceName[] =
    "cryptotracker.common.testing.v1.EchoService";

class EchoImpl final : public EchoService::Service {
 public:
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* request,
                    EchoResponse* response) override {
    if (request->text() == "slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    response->set_text(request->text());
    return grpc::Status::OK;
  }
};

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const auto& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

enum HealthStatus { kUnknown = 0, kServing = 1, kNotServing = 2 };

// grpc.health.v1.Health/Check over a real channel. The two messages are
// tiny, so they are encoded by hand: HealthCheckRequest{string service = 1}
// and HealthCheckResponse{enum status = 1}.
grpc::Status CheckHealth(grpc::Channel* channel, const std::string& service,
                         int* status) {
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::ByteBuffer response;
  grpc::Status result =
      grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
          channel,
          grpc::internal::RpcMethod("/grpc.health.v1.Health/Check", nullptr,
                                    grpc::internal::RpcMethod::NORMAL_RPC),
          &ctx, ToBuffer(request), &response);
  *status = kUnknown;
  if (result.ok()) {
    const std::string bytes = ToString(response);
    if (bytes.size() == 2 && bytes[0] == 0x08) *status = bytes[1];
  }
  return result;
}

// Lists services through grpc.reflection.v1alpha, using the reflection
// messages' descriptors that services/common/reflection links in.
std::vector<std::string> ReflectedServices(grpc::Channel* channel) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const auto* request_type = pool->FindMessageTypeByName(
      "grpc.reflection.v1alpha.ServerReflectionRequest");
  const auto* response_type = pool->FindMessageTypeByName(
      "grpc.reflection.v1alpha.ServerReflectionResponse");
  if (request_type == nullptr || response_type == nullptr) {
    ADD_FAILURE() << "reflection descriptors not linked in";
    return {};
  }
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> request(
      factory.GetPrototype(request_type)->New());
  request->GetReflection()->SetString(
      request.get(), request_type->FindFieldByName("list_services"), "");

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>
      stream(grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer,
                                                       grpc::ByteBuffer>::
                 Create(channel,
                        grpc::internal::RpcMethod(
                            "/grpc.reflection.v1alpha.ServerReflection/"
                            "ServerReflectionInfo",
                            nullptr, grpc::internal::RpcMethod::BIDI_STREAMING),
                        &ctx));
  EXPECT_TRUE(stream->Write(ToBuffer(request->SerializeAsString())));
  stream->WritesDone();
  grpc::ByteBuffer reply;
  std::vector<std::string> names;
  if (stream->Read(&reply)) {
    std::unique_ptr<google::protobuf::Message> response(
        factory.GetPrototype(response_type)->New());
    EXPECT_TRUE(response->ParseFromString(ToString(reply)));
    const auto* list_field =
        response_type->FindFieldByName("list_services_response");
    const auto& list =
        response->GetReflection()->GetMessage(*response, list_field);
    const auto* service_field =
        list.GetDescriptor()->FindFieldByName("service");
    for (int i = 0; i < list.GetReflection()->FieldSize(list, service_field);
         ++i) {
      const auto& entry =
          list.GetReflection()->GetRepeatedMessage(list, service_field, i);
      names.push_back(entry.GetReflection()->GetString(
          entry, entry.GetDescriptor()->FindFieldByName("name")));
    }
  }
  EXPECT_TRUE(stream->Finish().ok());
  return names;
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void StartServer(std::function<bool()> readiness = nullptr) {
    ServerOptions options;
    options.port = 0;
    options.service_name = "server-test";
    options.shutdown_grace = std::chrono::seconds(3);
    options.readiness_interval = std::chrono::milliseconds(50);
    server_ = std::make_unique<GrpcServer>(options,
                                           std::vector<grpc::Service*>{&echo_});
    if (readiness) server_->SetReadinessCheck(std::move(readiness));
    run_ = std::async(std::launch::async, [this] { server_->Run(); });
    ASSERT_TRUE(server_->WaitUntilServing(std::chrono::seconds(10)));
    channel_ = grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->bound_port()),
        grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_ != nullptr && run_.valid()) {
      server_->Stop();
      run_.get();
    }
  }

  int HealthOf(const std::string& service) {
    int status = kUnknown;
    EXPECT_TRUE(CheckHealth(channel_.get(), service, &status).ok());
    return status;
  }

  // Polls until the health status of `service` is `expected` (or 5 s pass).
  bool EventuallyHealth(const std::string& service, int expected) {
    for (int i = 0; i < 100; ++i) {
      if (HealthOf(service) == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  EchoImpl echo_;
  std::unique_ptr<GrpcServer> server_;
  std::future<void> run_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(GrpcServerTest, ServesCallsAndReportsServing) {
  StartServer();
  EXPECT_GT(server_->bound_port(), 0);
  auto stub = EchoService::NewStub(channel_);
  grpc::ClientContext ctx;
  EchoRequest request;
  request.set_text("hello");
  EchoResponse response;
  ASSERT_TRUE(stub->Echo(&ctx, request, &response).ok());
  EXPECT_EQ(response.text(), "hello");
  EXPECT_EQ(HealthOf(""), kServing);
  EXPECT_EQ(HealthOf(kEchoServiceName), kServing);
  int status;
  EXPECT_EQ(
      CheckHealth(channel_.get(), "no.such.Service", &status).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, ReadinessCheckDrivesHealth) {
  std::atomic<bool> ready{true};
  std::atomic<bool> throw_instead{false};
  StartServer([&] {
    if (throw_instead) throw std::runtime_error("probe exploded");
    return ready.load();
  });
  EXPECT_EQ(HealthOf(""), kServing);
  ready = false;
  EXPECT_TRUE(EventuallyHealth("", kNotServing));
  EXPECT_EQ(HealthOf(kEchoServiceName), kNotServing);
  ready = true;
  EXPECT_TRUE(EventuallyHealth(kEchoServiceName, kServing));
  throw_instead = true;  // an exception counts as not ready
  EXPECT_TRUE(EventuallyHealth("", kNotServing));
}

TEST_F(GrpcServerTest, NotReadyAtStartIsReportedImmediately) {
  StartServer([] { return false; });
  EXPECT_EQ(HealthOf(""), kNotServing);
}

TEST_F(GrpcServerTest, ReflectionListsServices) {
  StartServer();
  const std::vector<std::string> names = ReflectedServices(channel_.get());
  EXPECT_THAT(names, Contains(kEchoServiceName));
  EXPECT_THAT(names, Contains("grpc.health.v1.Health"));
}

TEST_F(GrpcServerTest, StopDrainsInFlightCalls) {
  StartServer();
  auto stub = EchoService::NewStub(channel_);
  auto slow = std::async(std::launch::async, [&] {
    grpc::ClientContext ctx;
    EchoRequest request;
    request.set_text("slow");
    EchoResponse response;
    return stub->Echo(&ctx, request, &response);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  server_->Stop();
  run_.get();  // Run() returns only after draining
  EXPECT_TRUE(slow.get().ok());
  int status;
  EXPECT_FALSE(CheckHealth(channel_.get(), "", &status).ok());
}

TEST_F(GrpcServerTest, SigtermStopsTheServer) {
  StartServer();
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_EQ(run_.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  run_.get();
  // The default disposition is restored after Run(): ignore it from here on
  // by checking it is no longer our handler (the test process is alive).
  struct sigaction current = {};
  sigaction(SIGTERM, nullptr, &current);
  EXPECT_EQ(current.sa_handler, SIG_DFL);
}

TEST(GrpcServerBindTest, ThrowsWhenPortIsTaken) {
  testing::BoundPort taken;
  ASSERT_EQ(listen(taken.fd(), 1), 0);
  ServerOptions options;
  options.port = taken.port();
  options.service_name = "bind-test";
  EchoImpl echo;
  GrpcServer server(options, {&echo});
  EXPECT_THROW(server.Run(), std::runtime_error);
  EXPECT_FALSE(server.WaitUntilServing(std::chrono::milliseconds(10)));
}

}  // namespace
}  // namespace cryptotracker::common
