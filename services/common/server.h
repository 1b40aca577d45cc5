// gRPC server bootstrap: health, reflection, limits, graceful shutdown.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_SERVER_H_
#define CRYPTOTRACKER_SERVICES_COMMON_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cryptotracker::common {

struct ServerOptions {
  int port = 0;  // 0 picks a free port (see GrpcServer::bound_port)
  std::chrono::seconds shutdown_grace{10};
  std::string service_name;
  // How often the readiness check runs.
  std::chrono::milliseconds readiness_interval = std::chrono::seconds(5);
  // Largest request message accepted.
  int max_receive_message_bytes = 4 * 1024 * 1024;
  // Upper bound on threads serving calls (gRPC resource quota).
  int max_threads = 64;
  std::string bind_address = "0.0.0.0";
};

class GrpcServer {
 public:
  // `services` are not owned and must outlive Run().
  GrpcServer(ServerOptions options, std::vector<grpc::Service*> services);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Readiness probe run every options.readiness_interval on a background
  // thread (an exception counts as not ready); its result drives
  // grpc.health.v1 for "" and for each registered service's full name.
  // Without a check the server is SERVING while running. Call before Run().
  void SetReadinessCheck(std::function<bool()> check);

  // Starts (reflection, health service, limits, keepalive), blocks until
  // SIGTERM/SIGINT or Stop(), marks everything NOT_SERVING, then drains with
  // Shutdown(now + shutdown_grace) and returns. Throws std::runtime_error if
  // the port cannot be bound.
  void Run();

  // Makes Run() shut down as if a signal had arrived. Thread-safe; may be
  // called before Run() has started serving.
  void Stop();

  // The port actually bound (after Run() started serving; 0 before).
  int bound_port() const { return bound_port_.load(); }
  // Blocks until Run() is serving or has failed; false on failure/timeout.
  bool WaitUntilServing(std::chrono::milliseconds timeout);

 private:
  struct State;
  ServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::function<bool()> readiness_check_;
  std::atomic<int> bound_port_{0};
  std::unique_ptr<State> state_;
};

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_SERVER_H_
