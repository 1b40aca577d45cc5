#include "services/pricing-service/storage/writer_lease.h"

#include <exception>
#include <utility>

#include "services/common/logging.h"

namespace cryptotracker::pricing::storage {
namespace {

// `values` as the text of a PostgreSQL text[] (each element quoted, with
// quotes and backslashes escaped), bound as one parameter.
std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return literal;
}

}  // namespace

PairWriterLease::PairWriterLease(std::string connection_string,
                                 std::vector<std::string> pairs,
                                 WriterLeaseOptions options)
    : connection_string_(std::move(connection_string)),
      pairs_(std::move(pairs)),
      options_(options) {}

PairWriterLease::~PairWriterLease() { Stop(); }

size_t PairWriterLease::Renew() {
  {
    std::lock_guard lock(thread_mu_);
    if (stopping_) return 0;  // stopped for good: never reconnect
  }
  std::lock_guard renew_lock(renew_mu_);
  std::vector<std::string> wanted;
  {
    std::lock_guard lock(held_mu_);
    for (const std::string& pair : pairs_) {
      if (!held_.contains(pair)) wanted.push_back(pair);
    }
  }
  try {
    if (connection_ == nullptr || !connection_->is_open()) {
      // A new session holds nothing yet.
      {
        std::lock_guard lock(held_mu_);
        held_.clear();
      }
      wanted = pairs_;
      connection_ = std::make_unique<pqxx::connection>(connection_string_);
    }
    pqxx::nontransaction tx(*connection_);
    // One round trip: tries the locks not held (a lock this session holds
    // already is not tried again, which would only count it twice) and,
    // with nothing to try, still proves the session is alive. The two-key
    // form keeps these locks apart from every other advisory lock.
    const pqxx::result rows = tx.exec_params(
        "SELECT p, pg_try_advisory_lock(hashtext('pricing.candles.writer'),"
        " hashtext(p)) FROM unnest($1::text[]) AS p",
        TextArrayLiteral(wanted));
    std::vector<std::string> won;
    for (const pqxx::row& row : rows) {
      if (row[1].as<bool>()) won.push_back(row[0].as<std::string>());
    }
    std::lock_guard lock(held_mu_);
    for (std::string& pair : won) {
      common::LogInfo("writing candles of a pair", {{"pair", pair}});
      held_.insert(std::move(pair));
    }
    return held_.size();
  } catch (const std::exception& error) {
    // Without a live session this side cannot know what it holds: it holds
    // nothing, and the session (if the database still has it) goes.
    connection_.reset();
    std::lock_guard lock(held_mu_);
    if (!held_.empty()) {
      common::LogWarn("writer lease lost; not writing candles",
                      {{"pairs", static_cast<int64_t>(held_.size())},
                       {"error", error.what()}});
    }
    held_.clear();
    return 0;
  }
}

bool PairWriterLease::Holds(std::string_view pair) const {
  std::lock_guard lock(held_mu_);
  return held_.contains(std::string(pair));
}

size_t PairWriterLease::held_count() const {
  std::lock_guard lock(held_mu_);
  return held_.size();
}

void PairWriterLease::Start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { RenewLoop(); });
}

void PairWriterLease::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Release();
}

void PairWriterLease::Release() {
  std::lock_guard renew_lock(renew_mu_);
  {
    std::lock_guard lock(held_mu_);
    held_.clear();
  }
  // Closing the session frees its advisory locks.
  connection_.reset();
}

void PairWriterLease::RenewLoop() {
  std::unique_lock lock(thread_mu_);
  while (!stopping_) {
    lock.unlock();
    Renew();
    lock.lock();
    wake_.wait_for(lock, options_.renew_interval, [this] { return stopping_; });
  }
}

}  // namespace cryptotracker::pricing::storage
