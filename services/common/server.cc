#include "services/common/server.h"

#include <fcntl.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>
#include <grpcpp/resource_quota.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "services/common/logging.h"
#include "services/common/reflection/reflection_service.h"

namespace cryptotracker::common {
namespace {

// Write end of the running server's self-pipe; the signal handler only does
// an async-signal-safe write() to it.
std::atomic<int> g_signal_pipe{-1};

void OnTerminationSignal(int) {
  const int saved_errno = errno;
  const int fd = g_signal_pipe.load();
  if (fd >= 0) {
    const char byte = 's';
    [[maybe_unused]] ssize_t ignored = write(fd, &byte, 1);
  }
  errno = saved_errno;
}

// Captures the full names of the services registered on the server
// (the builder knows them; grpc::Service does not expose its name).
class ServiceNamesPlugin : public grpc::ServerBuilderPlugin {
 public:
  explicit ServiceNamesPlugin(std::vector<std::string>* names)
      : names_(names) {}
  std::string name() override { return "cryptotracker_service_names"; }
  void InitServer(grpc::ServerInitializer*) override {}
  void Finish(grpc::ServerInitializer* si) override {
    *names_ = *si->GetServiceList();
  }
  void ChangeArguments(const std::string&, void*) override {}

 private:
  std::vector<std::string>* names_;
};

class ServiceNamesOption : public grpc::ServerBuilderOption {
 public:
  explicit ServiceNamesOption(std::vector<std::string>* names)
      : names_(names) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    plugins->push_back(std::make_unique<ServiceNamesPlugin>(names_));
  }

 private:
  std::vector<std::string>* names_;
};

bool IsInfrastructureService(const std::string& name) {
  return name.rfind("grpc.health.", 0) == 0 ||
         name.rfind("grpc.reflection.", 0) == 0;
}

}  // namespace

struct GrpcServer::State {
  int pipe_read = -1;
  int pipe_write = -1;
  std::mutex mu;
  std::condition_variable changed;
  bool serving = false;
  bool failed = false;
  bool stopping = false;  // readiness thread must exit
};

GrpcServer::GrpcServer(ServerOptions options,
                       std::vector<grpc::Service*> services)
    : options_(std::move(options)),
      services_(std::move(services)),
      state_(std::make_unique<State>()) {
  // Debian's abseil leaves absl::Mutex deadlock detection on: every lock
  // gRPC takes then updates a global lock graph (GraphCycles showed in the
  // GetPrices profile). It is a debugging aid; switch it off for the
  // process.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  state_->pipe_read = fds[0];
  state_->pipe_write = fds[1];
  // The signal handler must never block.
  fcntl(state_->pipe_write, F_SETFL, O_NONBLOCK);
}

GrpcServer::~GrpcServer() {
  close(state_->pipe_read);
  close(state_->pipe_write);
}

void GrpcServer::SetReadinessCheck(std::function<bool()> check) {
  readiness_check_ = std::move(check);
}

void GrpcServer::Stop() {
  const char byte = 'x';
  [[maybe_unused]] ssize_t ignored = write(state_->pipe_write, &byte, 1);
}

bool GrpcServer::WaitUntilServing(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->changed.wait_for(lock, timeout,
                           [&] { return state_->serving || state_->failed; });
  return state_->serving;
}

void GrpcServer::Run() {
  // Route SIGTERM/SIGINT to this server's pipe for the duration of Run().
  struct sigaction action = {};
  action.sa_handler = OnTerminationSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction previous_term = {};
  struct sigaction previous_int = {};
  g_signal_pipe.store(state_->pipe_write);
  sigaction(SIGTERM, &action, &previous_term);
  sigaction(SIGINT, &action, &previous_int);
  struct RestoreSignals {
    struct sigaction term, intr;
    ~RestoreSignals() {
      sigaction(SIGTERM, &term, nullptr);
      sigaction(SIGINT, &intr, nullptr);
      g_signal_pipe.store(-1);
    }
  } restore{previous_term, previous_int};
  const auto fail = [&](const std::string& message) {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->failed = true;
    }
    state_->changed.notify_all();
    throw std::runtime_error(message);
  };

  grpc::EnableDefaultHealthCheckService(true);

  grpc::ServerBuilder builder;
  int selected_port = 0;
  const std::string address =
      options_.bind_address + ":" + std::to_string(options_.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &selected_port);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  // Filled in by ServiceNamesOption while the server is built; reflection
  // reads it per call.
  std::vector<std::string> service_names;
  const std::vector<std::unique_ptr<grpc::Service>> reflection =
      MakeReflectionServices(&service_names);
  for (const auto& service : reflection) builder.RegisterService(service.get());
  builder.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  // gRPC sets SO_REUSEPORT by default, which would let a second instance
  // silently share the port; a port conflict must fail loudly instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Keepalive: find dead clients behind NAT/LB within ~2.5 minutes, and let
  // clients (the gateway sidecar) ping every 10 s without being throttled.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 120000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // Bounded resources: a burst of calls queues instead of spawning threads
  // without limit.
  grpc::ResourceQuota quota(options_.service_name + "-quota");
  quota.SetMaxThreads(options_.max_threads);
  builder.SetResourceQuota(quota);
  builder.SetOption(std::make_unique<ServiceNamesOption>(&service_names));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    LogError("cannot start gRPC server", {{"address", address}});
    fail("cannot bind gRPC server to " + address);
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) {
    server->Shutdown();
    fail("gRPC health service unavailable");
  }

  std::vector<std::string> health_names = {""};
  for (const std::string& name : service_names) {
    if (!IsInfrastructureService(name)) health_names.push_back(name);
  }
  bool last_ready = true;
  const auto publish = [&](bool ready) {
    for (const std::string& name : health_names) {
      health->SetServingStatus(name, ready);
    }
  };
  const auto probe = [this]() {
    if (!readiness_check_) return true;
    try {
      return readiness_check_();
    } catch (const std::exception& e) {
      LogWarn("readiness check threw", {{"error", e.what()}});
      return false;
    }
  };
  last_ready = probe();
  publish(last_ready);
  bound_port_.store(selected_port);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->serving = true;
  }
  state_->changed.notify_all();
  LogInfo("gRPC server started",
          {{"port", selected_port}, {"ready", last_ready}});

  std::thread readiness([&] {
    std::unique_lock<std::mutex> lock(state_->mu);
    while (!state_->stopping) {
      state_->changed.wait_for(lock, options_.readiness_interval,
                               [&] { return state_->stopping; });
      if (state_->stopping) break;
      lock.unlock();
      const bool ready = probe();
      if (ready != last_ready) {
        LogInfo(ready ? "service ready" : "service not ready");
        last_ready = ready;
      }
      publish(ready);
      lock.lock();
    }
  });

  // Wait for a signal or Stop().
  char byte = 0;
  while (read(state_->pipe_read, &byte, 1) < 0 && errno == EINTR) {
  }
  LogInfo("shutting down",
          {{"grace_seconds",
            static_cast<int64_t>(options_.shutdown_grace.count())}});
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  readiness.join();
  // NOT_SERVING everywhere (and frozen), so probes route traffic away while
  // in-flight calls drain.
  health->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + options_.shutdown_grace);
  server->Wait();
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->serving = false;
  }
  LogInfo("gRPC server stopped");
}

}  // namespace cryptotracker::common
