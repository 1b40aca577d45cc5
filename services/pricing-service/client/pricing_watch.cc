// pricing_watch: the pricing client on the command line, for the end-to-end
// suite, benchmarks and people. Every answer is one JSON object per line.
//
//   pricing_watch [--address=HOST:PORT] [--quote=USD] [--timeout-ms=5000]
//                 COMMAND ...
// with COMMAND one of
//   prices [SYMBOL...]
//   stream [--seconds=N] [--max-age=S] [--quiet=1] [SYMBOL...]
//   candles --interval=1m [--limit=N] [--start-ms=T] [--end-ms=T] SYMBOL
//
// --address defaults to PRICING_GRPC_ADDR, else 127.0.0.1:50052.
//
// prices:  {"type":"price", ...} per symbol, in the order asked.
// stream:  runs a PriceSubscription for N seconds (default 10; 0 = until
//          interrupted) and prints {"type":"price", ..., "received_at_ms",
//          "moved"} per update as the price book applies it,
//          {"type":"connected"} / {"type":"disconnected","error":...} on
//          changes, then {"type":"book", ...} per entry as the book reads at
//          the end (with its staleness) and {"type":"summary", ...} with
//          "latency_ms": arrival minus update_time over the updates that
//          moved a price (new trades), as count, p50, p90, p99 and max.
//          --quiet=1 prints the summary line only (for benchmarks).
// candles: {"type":"candle", ...} per candle, oldest first.
// Decimals are strings exactly as the service sent them; times are RFC 3339
// with milliseconds plus the same instant as *_ms (Unix milliseconds).
// Exit status: 0 done, 1 the service answered an error (on stderr), 2 usage.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "services/common/clock.h"
#include "services/pricing-service/client/price_subscription.h"
#include "services/pricing-service/client/pricing_client.h"

namespace {

namespace client = cryptotracker::pricing::client;
using Json = nlohmann::json;

constexpr char kUsage[] =
    "usage: pricing_watch [--address=HOST:PORT] [--quote=USD] "
    "[--timeout-ms=N] COMMAND ...\n"
    "  prices [SYMBOL...]\n"
    "  stream [--seconds=N] [--max-age=S] [--quiet=1] [SYMBOL...]\n"
    "  candles --interval=1m|5m|15m|1h|4h|1d [--limit=N] [--start-ms=T] "
    "[--end-ms=T] SYMBOL\n";

volatile std::sig_atomic_t interrupted = 0;

struct Arguments {
  std::string address;
  std::string quote = "USD";
  int64_t timeout_ms = 5'000;
  std::string command;
  std::vector<std::string> symbols;
  int64_t seconds = 10;
  int64_t max_age_seconds = 60;
  bool quiet = false;
  std::string interval;
  int64_t limit = 0;
  std::optional<int64_t> start_ms;
  std::optional<int64_t> end_ms;
};

std::optional<int64_t> ParseInteger(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(text);
}

// Fills `args`; a message on stderr and false for anything unknown.
bool ParseArguments(int argc, char** argv, Arguments& args) {
  const char* env_address = std::getenv("PRICING_GRPC_ADDR");
  args.address = env_address != nullptr && *env_address != '\0'
                     ? env_address
                     : "127.0.0.1:50052";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      if (args.command.empty()) {
        args.command = arg;
      } else {
        args.symbols.push_back(arg);
      }
      continue;
    }
    const std::size_t equals = arg.find('=');
    if (equals == std::string::npos) {
      std::cerr << "pricing_watch: " << arg << " needs =VALUE\n";
      return false;
    }
    const std::string name = arg.substr(2, equals - 2);
    const std::string value = arg.substr(equals + 1);
    if (name == "address") {
      args.address = value;
    } else if (name == "quote") {
      args.quote = value;
    } else if (name == "interval") {
      args.interval = value;
    } else {
      std::optional<int64_t> number = ParseInteger(value);
      if (!number) {
        std::cerr << "pricing_watch: --" << name
                  << " needs a non-negative integer\n";
        return false;
      }
      if (name == "timeout-ms") {
        args.timeout_ms = *number;
      } else if (name == "seconds") {
        args.seconds = *number;
      } else if (name == "max-age") {
        args.max_age_seconds = *number;
      } else if (name == "quiet") {
        args.quiet = *number != 0;
      } else if (name == "limit") {
        args.limit = *number;
      } else if (name == "start-ms") {
        args.start_ms = *number;
      } else if (name == "end-ms") {
        args.end_ms = *number;
      } else {
        std::cerr << "pricing_watch: unknown option --" << name << "\n";
        return false;
      }
    }
  }
  return !args.command.empty();
}

void PutTime(Json& line, const std::string& name, client::TimePoint time) {
  const int64_t ms = client::ToUnixMillis(time);
  line[name] = cryptotracker::common::Rfc3339Millis(ms);
  line[name + "_ms"] = ms;
}

Json PriceJson(const client::Price& price) {
  Json line = {
      {"type", "price"},
      {"symbol", price.symbol},
      {"quote", price.quote},
      {"pair", price.pair},
      {"via", price.via},
      {"last_price", price.last.ToString()},
      {"open_24h", price.open_24h.ToString()},
      {"high_24h", price.high_24h.ToString()},
      {"low_24h", price.low_24h.ToString()},
      {"change_24h", price.change_24h.ToString()},
      {"change_percent_24h", price.change_percent_24h
                                 ? price.change_percent_24h->ToString()
                                 : std::string()},
      {"volume_24h", price.volume_24h.ToString()},
      {"quote_volume_24h", price.quote_volume_24h.ToString()},
      {"source", price.source},
      {"stale", price.stale},
  };
  PutTime(line, "update_time", price.update_time);
  return line;
}

// One whole line at a time: listener and state callbacks run on the
// subscription's thread, the summary on the main one.
std::mutex output_mutex;
void Print(const Json& line) {
  std::lock_guard lock(output_mutex);
  std::cout << line.dump() << "\n" << std::flush;
}

int Fail(const absl::Status& status) {
  std::cerr << "pricing_watch: " << status << "\n";
  return 1;
}

int RunPrices(const Arguments& args) {
  client::PricingClient pricing(
      client::PricingClient::NewChannel(args.address),
      {.call_timeout = std::chrono::milliseconds(args.timeout_ms)});
  auto prices = pricing.GetPrices(args.symbols, args.quote);
  if (!prices.ok()) return Fail(prices.status());
  for (const client::Price& price : *prices) Print(PriceJson(price));
  return 0;
}

int RunCandles(const Arguments& args) {
  const std::optional<client::Interval> interval =
      client::ParseInterval(args.interval);
  if (!interval || args.symbols.size() != 1) {
    std::cerr << kUsage;
    return 2;
  }
  client::CandleQuery query{.symbol = args.symbols.front(),
                            .interval = *interval,
                            .limit = static_cast<int>(args.limit)};
  if (args.start_ms) {
    query.start_time =
        client::TimePoint(std::chrono::milliseconds(*args.start_ms));
  }
  if (args.end_ms) {
    query.end_time = client::TimePoint(std::chrono::milliseconds(*args.end_ms));
  }
  client::PricingClient pricing(
      client::PricingClient::NewChannel(args.address),
      {.call_timeout = std::chrono::milliseconds(args.timeout_ms)});
  auto series = pricing.GetCandles(query);
  if (!series.ok()) return Fail(series.status());
  for (const client::Candle& candle : series->candles) {
    Json line = {
        {"type", "candle"},
        {"symbol", series->symbol},
        {"quote", series->quote},
        {"pair", series->pair},
        {"open", candle.open.ToString()},
        {"high", candle.high.ToString()},
        {"low", candle.low.ToString()},
        {"close", candle.close.ToString()},
        {"volume", candle.volume.ToString()},
        {"quote_volume", candle.quote_volume.ToString()},
        {"trade_count", candle.trade_count},
        {"closed", candle.closed},
    };
    PutTime(line, "open_time", candle.open_time);
    PutTime(line, "close_time", candle.close_time);
    Print(line);
  }
  return 0;
}

// Nearest-rank percentiles of latencies in milliseconds.
Json LatencySummary(std::vector<int64_t> latencies) {
  Json summary = {{"count", latencies.size()}};
  if (latencies.empty()) return summary;
  std::sort(latencies.begin(), latencies.end());
  const auto at = [&](double fraction) {
    const auto rank = static_cast<std::size_t>(
        std::ceil(fraction * static_cast<double>(latencies.size())));
    return latencies[std::max<std::size_t>(rank, 1) - 1];
  };
  summary["p50"] = at(0.50);
  summary["p90"] = at(0.90);
  summary["p99"] = at(0.99);
  summary["max"] = latencies.back();
  return summary;
}

int RunStream(const Arguments& args) {
  auto book = std::make_shared<client::PriceBook>(client::BookOptions{
      .max_age = std::chrono::seconds(args.max_age_seconds)});
  std::mutex latencies_mutex;
  std::vector<int64_t> latencies;
  book->AddListener([&](const client::PriceMove& move) {
    const auto now = std::chrono::system_clock::now();
    if (move.moved() && move.previous_last) {
      std::lock_guard lock(latencies_mutex);
      latencies.push_back(client::ToUnixMillis(now) -
                          client::ToUnixMillis(move.price.update_time));
    }
    if (args.quiet) return;
    Json line = PriceJson(move.price);
    line["moved"] = move.moved();
    PutTime(line, "received_at", now);
    Print(line);
  });
  client::SubscriptionOptions options{
      .symbols = args.symbols,
      .quote = args.quote,
      .on_state_change =
          [&args](const client::SubscriptionStatus& status) {
            if (args.quiet) return;
            Json line = {
                {"type", status.connected ? "connected" : "disconnected"},
                {"connections", status.connections}};
            if (!status.connected) {
              line["error"] = std::string(status.last_error.message());
            }
            Print(line);
          },
  };
  client::PriceSubscription subscription(
      client::PricingClient::NewChannel(args.address), book, options);
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  subscription.Start();
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::seconds(args.seconds);
  while (!interrupted &&
         (args.seconds == 0 || std::chrono::steady_clock::now() < end)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  subscription.Stop();
  const auto now = std::chrono::system_clock::now();
  for (const client::BookEntry& entry : book->Snapshot(now)) {
    if (args.quiet) break;
    Json line = PriceJson(entry.price);
    line["type"] = "book";
    line["stale"] = entry.stale;
    PutTime(line, "received_at", entry.received_at);
    Print(line);
  }
  const client::SubscriptionStatus status = subscription.status();
  Print({{"type", "summary"},
         {"connections", status.connections},
         {"prices_received", status.prices_received},
         {"prices_rejected", status.prices_rejected},
         {"last_error", std::string(status.last_error.message())},
         {"latency_ms", LatencySummary(latencies)}});
  // A stream that never came up is a failure of the command.
  if (status.connections == 0) {
    return Fail(status.last_error.ok()
                    ? absl::DeadlineExceededError("no stream within the run")
                    : status.last_error);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (!ParseArguments(argc, argv, args)) {
    std::cerr << kUsage;
    return 2;
  }
  if (args.command == "prices") return RunPrices(args);
  if (args.command == "stream") return RunStream(args);
  if (args.command == "candles") return RunCandles(args);
  std::cerr << "pricing_watch: unknown command " << args.command << "\n"
            << kUsage;
  return 2;
}
