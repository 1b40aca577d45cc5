// prices_load: GetPrices as fast as -concurrency outstanding calls allow,
// over -connections HTTP/2 connections, with gRPC's generic async API.
//
//   prices_load -addr HOST:PORT -symbols A,B,.. -concurrency C
//               -connections N -threads T -duration 20s -warmup 2s
//               -direct true
//
// Client and server share the benchmark machine's two cores, so every
// microsecond the client spends per call is one the server cannot use.
// The request is encoded once and sent as a raw ByteBuffer; responses stay
// raw, and every 64th is decoded and checked in full (one price per
// requested symbol, in request order, each read by the pricing client's
// PriceFromProto into exact decimals), like loadclient grpcprices. Each
// thread owns a completion queue and polls it itself, so a completion is
// handled on the thread that read it from the socket (no hand-off). With
// -direct (the default) each connection is a socket connected here and
// handed to gRPC, which skips the client channel (resolver, load balancer,
// retries) on every call; -direct=false uses ordinary channels.
// Prints calls/s and latency percentiles in loadclient's format.
#include <grpc/grpc.h>
#include <grpcpp/create_channel_posix.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "cryptotracker/pricing/v1/pricing_service.pb.h"
#include "services/pricing-service/client/prices.h"

namespace cryptotracker::bench {
namespace {

namespace v1 = ::cryptotracker::pricing::v1;
namespace client = ::cryptotracker::pricing::client;
using Clock = std::chrono::steady_clock;

constexpr char kGetPricesMethod[] =
    "/cryptotracker.pricing.v1.PricingService/GetPrices";
// One response in this many is decoded and checked.
constexpr uint64_t kCheckEvery = 64;

struct Options {
  std::string addr;
  std::vector<std::string> symbols;
  std::string quote = "USD";
  int concurrency = 16;
  int connections = 2;
  int threads = 1;
  bool direct = true;
  std::chrono::milliseconds duration{20'000};
  std::chrono::milliseconds warmup{2'000};
};

[[noreturn]] void Usage(const std::string& problem) {
  std::fprintf(stderr,
               "prices_load: %s\n"
               "usage: prices_load -addr HOST:PORT [-symbols A,B,..] "
               "[-quote USD] [-concurrency 16] [-connections 2] "
               "[-threads 1] [-direct true] [-duration 20s] [-warmup 2s]\n",
               problem.c_str());
  std::exit(2);
}

// "20s", "1500ms" or a bare number of seconds.
std::chrono::milliseconds ParseDuration(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const std::string unit(end);
  if (end == text.c_str() || value < 0) Usage("bad duration " + text);
  if (unit == "ms") return std::chrono::milliseconds(std::llround(value));
  if (unit == "s" || unit.empty()) {
    return std::chrono::milliseconds(std::llround(value * 1000));
  }
  if (unit == "m") {
    return std::chrono::milliseconds(std::llround(value * 60'000));
  }
  Usage("bad duration " + text);
}

int ParsePositive(const std::string& name, const std::string& text) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || value < 1 || value > 1'000'000) {
    Usage("-" + name + " must be a positive integer, not " + text);
  }
  return static_cast<int>(value);
}

// Go-style flags, as loadclient takes them: -name value or -name=value
// (one or two dashes).
Options ParseFlags(int argc, char** argv) {
  std::map<std::string, std::string> values;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') Usage("unexpected argument " + arg);
    arg.erase(0, arg[1] == '-' ? 2 : 1);
    const size_t equals = arg.find('=');
    if (equals != std::string::npos) {
      values[arg.substr(0, equals)] = arg.substr(equals + 1);
    } else if (i + 1 < argc) {
      values[arg] = argv[++i];
    } else {
      Usage("-" + arg + " needs a value");
    }
  }
  Options options;
  for (const auto& [name, value] : values) {
    if (name == "addr") {
      options.addr = value;
    } else if (name == "symbols") {
      options.symbols = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (name == "quote") {
      options.quote = value;
    } else if (name == "concurrency") {
      options.concurrency = ParsePositive(name, value);
    } else if (name == "connections") {
      options.connections = ParsePositive(name, value);
    } else if (name == "threads") {
      options.threads = ParsePositive(name, value);
    } else if (name == "direct") {
      if (value != "true" && value != "false") {
        Usage("-direct must be true or false, not " + value);
      }
      options.direct = value == "true";
    } else if (name == "duration") {
      options.duration = ParseDuration(value);
    } else if (name == "warmup") {
      options.warmup = ParseDuration(value);
    } else {
      Usage("unknown flag -" + name);
    }
  }
  if (options.addr.empty()) Usage("-addr is required");
  // Every thread needs at least one call of its own to keep busy.
  options.threads = std::min(options.threads, options.concurrency);
  return options;
}

// An empty string when the response has one priced entry per requested
// symbol, in request order; otherwise what is wrong.
std::string CheckResponse(const grpc::ByteBuffer& raw,
                          const std::vector<std::string>& symbols) {
  std::vector<grpc::Slice> slices;
  if (!raw.Dump(&slices).ok()) return "unreadable response";
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  v1::GetPricesResponse response;
  if (!response.ParseFromString(bytes)) return "undecodable response";
  if (symbols.empty()) {
    return response.prices_size() > 0 ? "" : "no prices";
  }
  if (static_cast<size_t>(response.prices_size()) != symbols.size()) {
    return std::to_string(response.prices_size()) + " prices for " +
           std::to_string(symbols.size()) + " symbols";
  }
  for (int i = 0; i < response.prices_size(); ++i) {
    const v1::Price& price = response.prices(i);
    if (price.symbol() != symbols[i]) {
      return "price " + std::to_string(i) + " is " + price.symbol() +
             ", want " + symbols[i];
    }
    // Read as a consumer service would, through the pricing client: every
    // decimal must parse exactly and the price must be positive.
    absl::StatusOr<client::Price> read = client::PriceFromProto(price);
    if (!read.ok()) return std::string(read.status().message());
    if (read->last <= client::Decimal()) {
      return "price " + std::to_string(i) + " (" + symbols[i] +
             ") is not positive: " + read->last.ToString();
    }
  }
  return "";
}

// Shared by the threads: the switches the main thread flips, and what the
// threads hand back when they finish.
struct Run {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> failures{0};
  std::atomic<int64_t> calls{0};  // every call, warm-up included
  std::mutex mu;
  std::string first_error;       // guarded by mu
  std::vector<int64_t> samples;  // nanoseconds; guarded by mu
};

// One outstanding call; a slot is reused for the next call when it ends.
struct Slot {
  grpc::GenericStub* stub = nullptr;
  std::optional<grpc::ClientContext> context;  // one per call, as gRPC wants
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  grpc::ByteBuffer response;
  grpc::Status status;
  Clock::time_point started;
};

class Worker {
 public:
  Worker(const Options& options, const grpc::ByteBuffer& request,
         std::vector<grpc::GenericStub*> stubs, int calls, Run* run)
      : options_(options), request_(request), run_(run), slots_(calls) {
    for (int i = 0; i < calls; ++i) slots_[i].stub = stubs[i % stubs.size()];
    samples_.reserve(1 << 20);
  }

  void Loop() {
    for (Slot& slot : slots_) Start(&slot);
    size_t outstanding = slots_.size();
    void* tag = nullptr;
    bool ok = false;
    while (outstanding > 0 && queue_.Next(&tag, &ok)) {
      Slot* slot = static_cast<Slot*>(tag);
      Finish(slot, ok);
      if (run_->stopping.load(std::memory_order_relaxed)) {
        --outstanding;
      } else {
        Start(slot);
      }
    }
    queue_.Shutdown();
    while (queue_.Next(&tag, &ok)) {
    }
    run_->calls.fetch_add(static_cast<int64_t>(completed_));
    std::lock_guard<std::mutex> lock(run_->mu);
    run_->samples.insert(run_->samples.end(), samples_.begin(), samples_.end());
  }

 private:
  void Start(Slot* slot) {
    // The previous call's reader lives in that call's arena, which goes
    // with its context: destroy it first.
    slot->reader.reset();
    slot->context.emplace();
    slot->started = Clock::now();
    slot->reader = slot->stub->PrepareUnaryCall(
        &*slot->context, kGetPricesMethod, request_, &queue_);
    slot->reader->StartCall();
    slot->reader->Finish(&slot->response, &slot->status, slot);
  }

  void Finish(Slot* slot, bool ok) {
    ++completed_;
    const int64_t nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              Clock::now() - slot->started)
                              .count();
    std::string error;
    if (!ok) {
      error = "completion queue reported failure";
    } else if (!slot->status.ok()) {
      error = "status " + std::to_string(slot->status.error_code()) + ": " +
              slot->status.error_message();
    } else if (checked_++ % kCheckEvery == 0) {
      error = CheckResponse(slot->response, options_.symbols);
    }
    if (!error.empty()) {
      if (run_->failures.fetch_add(1) == 0) {
        std::lock_guard<std::mutex> lock(run_->mu);
        run_->first_error = error;
      }
    } else if (run_->measuring.load(std::memory_order_relaxed)) {
      samples_.push_back(nanos);
    }
    slot->response.Clear();
  }

  const Options& options_;
  const grpc::ByteBuffer& request_;
  Run* run_;
  grpc::CompletionQueue queue_;
  std::vector<Slot> slots_;
  std::vector<int64_t> samples_;
  uint64_t completed_ = 0;
  uint64_t checked_ = 0;
};

// A connected TCP socket to HOST:PORT, for a direct channel: one HTTP/2
// connection without the client channel's name resolution, load balancing
// and retries, which cost CPU on every call. -1 (reported) on failure.
int Connect(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos) Usage("-addr must be HOST:PORT");
  std::string host = addr.substr(0, colon);
  if (host.size() > 1 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  const std::string port = addr.substr(colon + 1);
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
      error != 0) {
    std::fprintf(stderr, "prices_load: %s: %s\n", addr.c_str(),
                 gai_strerror(error));
    return -1;
  }
  int fd = -1;
  for (addrinfo* candidate = found; candidate != nullptr;
       candidate = candidate->ai_next) {
    fd = socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC,
                candidate->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, candidate->ai_addr, candidate->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) {
    std::fprintf(stderr, "prices_load: cannot connect to %s\n", addr.c_str());
    return -1;
  }
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

std::string Millis(int64_t nanos) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2fms", nanos / 1e6);
  return text;
}

int Main(int argc, char** argv) {
  const Options options = ParseFlags(argc, argv);

  v1::GetPricesRequest message;
  for (const std::string& symbol : options.symbols) message.add_symbols(symbol);
  message.set_quote(options.quote);
  const std::string encoded = message.SerializeAsString();
  grpc::Slice slice(encoded);
  const grpc::ByteBuffer request(&slice, 1);

  // Debian's abseil checks every mutex gRPC takes for lock-order cycles
  // (a debugging aid that showed in the client's profile); the services
  // switch it off too (services/common/server.cc).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::ChannelArguments args;
  // No BDP pings: on loopback they only add frames to the reads.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  // Per-call work a load generator does not need: channelz's call
  // counters (clock reads and atomics) and, with the minimal stack, the
  // client's deadline and message-size filters (no call has a deadline).
  args.SetInt(GRPC_ARG_ENABLE_CHANNELZ, 0);
  args.SetInt(GRPC_ARG_MINIMAL_STACK, 1);
  // With the local subchannel pool two channels to one address do not
  // share a connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < options.connections; ++i) {
    std::shared_ptr<grpc::Channel> channel;
    if (options.direct) {
      const int fd = Connect(options.addr);
      if (fd < 0) return 1;
      channel = grpc::CreateCustomInsecureChannelFromFd(options.addr, fd, args);
    } else {
      channel = grpc::CreateCustomChannel(
          options.addr, grpc::InsecureChannelCredentials(), args);
    }
    // A direct channel is connected already (and watches no state).
    if (!options.direct &&
        !channel->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(5))) {
      std::fprintf(stderr, "prices_load: cannot connect to %s\n",
                   options.addr.c_str());
      return 1;
    }
    channels.push_back(std::move(channel));
  }
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  std::vector<grpc::GenericStub*> stub_pointers;
  for (const auto& channel : channels) {
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
    stub_pointers.push_back(stubs.back().get());
  }

  Run run;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < options.threads; ++t) {
    // Calls and connections dealt out round robin over the threads.
    const int calls = options.concurrency / options.threads +
                      (t < options.concurrency % options.threads ? 1 : 0);
    std::vector<grpc::GenericStub*> mine;
    for (size_t c = t % stub_pointers.size(); c < stub_pointers.size();
         c += options.threads) {
      mine.push_back(stub_pointers[c]);
    }
    if (mine.empty()) mine.push_back(stub_pointers[t % stub_pointers.size()]);
    workers.push_back(
        std::make_unique<Worker>(options, request, mine, calls, &run));
  }
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&worker] { worker->Loop(); });
  }

  std::this_thread::sleep_for(options.warmup);
  run.measuring.store(true);
  const Clock::time_point started = Clock::now();
  std::this_thread::sleep_for(options.duration);
  run.measuring.store(false);
  const double seconds =
      std::chrono::duration<double>(Clock::now() - started).count();
  run.stopping.store(true);
  for (std::thread& thread : threads) thread.join();

  std::vector<int64_t>& samples = run.samples;
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    return samples.empty()
               ? int64_t{0}
               : samples[static_cast<size_t>(q * (samples.size() - 1))];
  };
  std::printf(
      "GetPrices (%zu symbols, %s, decode sampled, C++ generic async, "
      "%d %s connections, %d threads): %zu calls in %.1fs = %.0f calls/s, "
      "%lld failed\n",
      options.symbols.size(), options.quote.c_str(), options.connections,
      options.direct ? "direct" : "channel", options.threads, samples.size(),
      seconds, samples.size() / seconds,
      static_cast<long long>(run.failures.load()));
  std::printf("latency: n=%zu p50=%s p90=%s p99=%s max=%s\n", samples.size(),
              Millis(at(0.50)).c_str(), Millis(at(0.90)).c_str(),
              Millis(at(0.99)).c_str(),
              Millis(samples.empty() ? 0 : samples.back()).c_str());
  // The client's own cost, to compare with the server's per call (all
  // calls, warm-up included, as a CPU counter of the server would see).
  rusage usage = {};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu_seconds =
      usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
      (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  const int64_t calls = run.calls.load();
  std::printf(
      "client CPU: %.2fs for %lld calls (warm-up included) = %.1f us per "
      "call\n",
      cpu_seconds, static_cast<long long>(calls),
      calls > 0 ? cpu_seconds * 1e6 / calls : 0.0);
  if (run.failures.load() > 0) {
    std::fprintf(stderr, "prices_load: %lld calls failed, first: %s\n",
                 static_cast<long long>(run.failures.load()),
                 run.first_error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace cryptotracker::bench

int main(int argc, char** argv) {
  return cryptotracker::bench::Main(argc, argv);
}
