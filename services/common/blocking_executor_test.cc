#include "services/common/blocking_executor.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "echo.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "services/common/errors.h"
#include "services/common/logging.h"
#include "services/common/testing/test_server.h"

namespace cryptotracker::common {
namespace {

TEST(BlockingExecutorTest, RunsTasksOnItsWorkers) {
  BlockingExecutor executor(2, 16);
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(executor.Post(
      [&ran_on] { ran_on.set_value(std::this_thread::get_id()); }));
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
}

TEST(BlockingExecutorTest, RefusesBeyondTheQueueLimitAndAfterStop) {
  BlockingExecutor executor(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(executor.Post([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the only worker is busy now
  std::atomic<int> ran{0};
  EXPECT_TRUE(executor.Post([&ran] { ++ran; }));
  EXPECT_TRUE(executor.Post([&ran] { ++ran; }));
  EXPECT_FALSE(executor.Post([&ran] { ++ran; }));  // queue full
  EXPECT_EQ(executor.queued(), 2u);
  release.set_value();
  executor.Stop();  // runs the two queued tasks before returning
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(executor.Post([] {}));
}

using EchoService = cryptotracker::common::testing::v1::EchoService;
using cryptotracker::common::testing::v1::EchoRequest;
using cryptotracker::common::testing::v1::EchoResponse;

// A callback service finishing "inline" calls on the gRPC thread and the
// others on the executor; answers with what the body saw of its call.
class CallbackEcho final : public EchoService::CallbackService {
 public:
  explicit CallbackEcho(BlockingExecutor& executor) : executor_(executor) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const EchoRequest* request,
                                 EchoResponse* response) override {
    const auto body = [context, request, response] {
      if (request->fail_with() == "validation") {
        throw ValidationError("text", "is not welcome");
      }
      response->set_text(request->text());
      response->set_request_id(CurrentRequestId());
      response->set_client_address(ClientAddress(*context));
    };
    if (request->text() == "inline") {
      return FinishInline(context, "Echo", body);
    }
    return FinishOnExecutor(executor_, context, "Echo", body);
  }

 private:
  BlockingExecutor& executor_;
};

class FinishTest : public ::testing::Test {
 protected:
  void Start(int threads, size_t max_queued) {
    executor_ = std::make_unique<BlockingExecutor>(threads, max_queued);
    service_ = std::make_unique<CallbackEcho>(*executor_);
    server_ = std::make_unique<testing::TestServer>(
        "finish-test", std::vector<grpc::Service*>{service_.get()});
    ASSERT_TRUE(server_->WaitUntilServing());
    stub_ = EchoService::NewStub(server_->NewChannel());
  }

  void TearDown() override {
    stub_.reset();
    server_.reset();  // drains before the executor goes
    service_.reset();
    executor_.reset();
  }

  grpc::Status Call(const std::string& text, EchoResponse* response,
                    const std::string& fail_with = "") {
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "req-1");
    context.AddMetadata("x-real-ip", "198.51.100.7");
    EchoRequest request;
    request.set_text(text);
    request.set_fail_with(fail_with);
    return stub_->Echo(&context, request, response);
  }

  std::unique_ptr<BlockingExecutor> executor_;
  std::unique_ptr<CallbackEcho> service_;
  std::unique_ptr<testing::TestServer> server_;
  std::unique_ptr<EchoService::Stub> stub_;
};

TEST_F(FinishTest, BothWaysRunTheBodyInTheCallsContext) {
  Start(2, 16);
  for (const std::string text : {"queued", "inline"}) {
    EchoResponse response;
    const grpc::Status status = Call(text, &response);
    ASSERT_TRUE(status.ok()) << text << ": " << status.error_message();
    EXPECT_EQ(response.text(), text);
    EXPECT_EQ(response.request_id(), "req-1") << text;
    EXPECT_EQ(response.client_address(), "198.51.100.7") << text;
  }
}

TEST_F(FinishTest, ExceptionsBecomeStatusesBothWays) {
  Start(2, 16);
  for (const std::string text : {"queued", "inline"}) {
    EchoResponse response;
    const grpc::Status status = Call(text, &response, "validation");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << text;
    EXPECT_EQ(status.error_message(), "text: is not welcome") << text;
  }
}

TEST_F(FinishTest, AFullQueueIsResourceExhausted) {
  Start(1, 0);  // a queue of none: every post is refused
  EchoResponse response;
  EXPECT_EQ(Call("queued", &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Call("inline", &response).ok());
}

}  // namespace
}  // namespace cryptotracker::common
