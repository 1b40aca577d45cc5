// A GrpcServer on a free loopback port, run on a thread of its own, for
// tests that call services through a real channel.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_TESTING_TEST_SERVER_H_
#define CRYPTOTRACKER_SERVICES_COMMON_TESTING_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "services/common/server.h"

namespace cryptotracker::common::testing {

class TestServer {
 public:
  // `services` are not owned and must outlive the server.
  TestServer(std::string name, std::vector<grpc::Service*> services)
      : server_(Options(std::move(name)), std::move(services)),
        thread_([this] { server_.Run(); }) {}
  // Stops the server (a one-second drain) and joins its thread.
  ~TestServer() {
    server_.Stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // False when the server did not come up within ten seconds.
  bool WaitUntilServing() {
    return server_.WaitUntilServing(std::chrono::seconds(10));
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(server_.bound_port());
  }
  std::shared_ptr<grpc::Channel> NewChannel() const {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }

 private:
  static ServerOptions Options(std::string name) {
    ServerOptions options;
    options.port = 0;
    options.service_name = std::move(name);
    options.bind_address = "127.0.0.1";
    options.shutdown_grace = std::chrono::seconds(1);
    return options;
  }

  GrpcServer server_;
  std::thread thread_;
};

}  // namespace cryptotracker::common::testing

#endif  // CRYPTOTRACKER_SERVICES_COMMON_TESTING_TEST_SERVER_H_
