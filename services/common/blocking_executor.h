// Threads for the blocking part of gRPC calls (database queries).
//
// Callback-API handlers run on gRPC's own threads, which also poll the
// sockets and run every other call's callbacks; a handler that waits for
// PostgreSQL there stalls unrelated calls (sync-API threads showed 75-100 ms
// stalls under load). So blocking handlers post their body here and finish
// their reactor from this executor; gRPC threads never wait.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_BLOCKING_EXECUTOR_H_
#define CRYPTOTRACKER_SERVICES_COMMON_BLOCKING_EXECUTOR_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "services/common/errors.h"

namespace cryptotracker::common {

// A queue bound for a service's executor: calls waiting for a worker beyond
// this are refused with RESOURCE_EXHAUSTED rather than queued without bound
// (at a few milliseconds per call, a full queue is seconds of work).
inline constexpr size_t kMaxQueuedBlockingCalls = 1024;

class BlockingExecutor {
 public:
  // `threads` workers (e.g. the database pool size: more would only wait
  // for a connection); at most `max_queued` tasks wait for one.
  BlockingExecutor(int threads, size_t max_queued);
  // Runs what is queued, then joins the workers (Stop()).
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // Queues `task`; false (and `task` dropped) when the queue is full or the
  // executor is stopping. Thread-safe.
  bool Post(std::function<void()> task);

  // Refuses new tasks, lets the workers finish every queued one and joins
  // them. Idempotent. The gRPC server must be shut down first, or calls
  // still arriving are refused.
  void Stop();

  size_t queued() const;

 private:
  void Work();

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// The two ways a unary callback method finishes its call; a handler method
// is one `return FinishOnExecutor(...)` or `return FinishInline(...)`.

// A unary callback method whose body blocks: runs `body` under GuardedCall
// on `executor` and finishes the call with its status. RESOURCE_EXHAUSTED
// at once when the executor's queue is full. The request, response and
// context stay valid until Finish, so `body` may use them. `method` must
// outlive the call (a string literal).
template <class Fn>
grpc::ServerUnaryReactor* FinishOnExecutor(BlockingExecutor& executor,
                                           grpc::CallbackServerContext* context,
                                           std::string_view method, Fn body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued =
      executor.Post([reactor, context, method, body = std::move(body)] {
        reactor->Finish(GuardedCall(context, method, body));
      });
  if (!queued) {
    reactor->Finish(ResourceExhausted("server busy; retry shortly"));
  }
  return reactor;
}

// A unary callback method whose body never blocks (answers from memory):
// runs `body` under GuardedCall on the gRPC thread and finishes the call.
template <class Fn>
grpc::ServerUnaryReactor* FinishInline(
    grpc::CallbackServerContext* context, std::string_view method, Fn&& body,
    AccessLog access_log = AccessLog::kEveryCall) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(
      GuardedCall(context, method, std::forward<Fn>(body), access_log));
  return reactor;
}

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_BLOCKING_EXECUTOR_H_
