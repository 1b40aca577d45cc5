#include "services/pricing-service/parsers/binance_parse.h"

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "services/pricing-service/parsers/json_reader.h"

namespace cryptotracker::pricing::parsers {
namespace {

// Records kInconsistentOhlc unless low <= open, close <= high.
void CheckOhlc(FieldReader& reader, common::Decimal open, common::Decimal high,
               common::Decimal low, common::Decimal close) {
  if (!reader.ok()) return;
  if (high < low) {
    reader.Fail(ParseErrorReason::kInconsistentOhlc, "", "high below low");
  } else if (open < low || open > high || close < low || close > high) {
    reader.Fail(ParseErrorReason::kInconsistentOhlc, "",
                "open or close outside [low, high]");
  }
}

std::string Index(size_t i) { return "[" + std::to_string(i) + "]"; }

ParseResult<Kline> ParseKlineRow(const JsonValue& row, std::string path) {
  FieldReader reader(row, std::move(path), DecimalEncoding::kString);
  Kline kline;
  if (reader.ExpectArray(12)) {
    kline.open_time_ms = reader.TimestampMsAt(0);
    kline.open = reader.PriceAt(1);
    kline.high = reader.PriceAt(2);
    kline.low = reader.PriceAt(3);
    kline.close = reader.PriceAt(4);
    kline.volume = reader.AmountAt(5);
    kline.close_time_ms = reader.TimestampMsAt(6);
    kline.quote_volume = reader.AmountAt(7);
    kline.trade_count = reader.IntegerAt(8);
    kline.taker_buy_base_volume = reader.AmountAt(9);
    kline.taker_buy_quote_volume = reader.AmountAt(10);
    // [11] is documented as unused.
  }
  if (reader.ok() && kline.trade_count < 0) {
    reader.Fail(ParseErrorReason::kInvalidField, "[8]",
                "trade count must not be negative");
  }
  if (reader.ok() && kline.close_time_ms <= kline.open_time_ms) {
    reader.Fail(ParseErrorReason::kInvalidField, "[6]",
                "close time not after open time");
  }
  CheckOhlc(reader, kline.open, kline.high, kline.low, kline.close);
  if (!reader.ok()) return reader.TakeError();
  return kline;
}

ParseResult<TradeEvent> ParseTrade(FieldReader& reader) {
  TradeEvent trade;
  trade.event_time_ms = reader.TimestampMs("E");
  trade.symbol = reader.Symbol("s");
  trade.trade_id = reader.Integer("t");
  trade.price = reader.Price("p");
  trade.quantity = reader.Amount("q");
  trade.trade_time_ms = reader.TimestampMs("T");
  trade.buyer_is_maker = reader.Bool("m");
  if (reader.ok() && trade.trade_id < 0) {
    reader.Fail(ParseErrorReason::kInvalidField, "t",
                "trade id must not be negative");
  }
  if (reader.ok() && !trade.quantity.IsPositive()) {
    reader.Fail(ParseErrorReason::kInvalidField, "q",
                "trade quantity must be positive");
  }
  if (!reader.ok()) return reader.TakeError();
  return trade;
}

ParseResult<MiniTickerEvent> ParseMiniTicker(FieldReader& reader) {
  MiniTickerEvent ticker;
  ticker.event_time_ms = reader.TimestampMs("E");
  ticker.symbol = reader.Symbol("s");
  ticker.close = reader.Price("c");
  ticker.open = reader.Price("o");
  ticker.high = reader.Price("h");
  ticker.low = reader.Price("l");
  ticker.base_volume = reader.Amount("v");
  ticker.quote_volume = reader.Amount("q");
  CheckOhlc(reader, ticker.open, ticker.high, ticker.low, ticker.close);
  if (!reader.ok()) return reader.TakeError();
  return ticker;
}

ParseResult<KlineEvent> ParseKlineEvent(FieldReader& reader,
                                        const JsonValue& event,
                                        const std::string& path) {
  KlineEvent kline;
  kline.event_time_ms = reader.TimestampMs("E");
  kline.symbol = reader.Symbol("s");
  const JsonValue* k = event.Find("k");
  if (!reader.ok()) return reader.TakeError();
  if (k == nullptr || k->is_null()) {
    reader.Fail(ParseErrorReason::kMissingField, "k", "is required");
    return reader.TakeError();
  }
  FieldReader inner(*k, path.empty() ? "k" : path + ".k",
                    DecimalEncoding::kString);
  if (inner.ExpectObject()) {
    kline.open_time_ms = inner.TimestampMs("t");
    kline.close_time_ms = inner.TimestampMs("T");
    const std::string inner_symbol = inner.Symbol("s");
    const std::string interval_name = inner.String("i");
    kline.open = inner.Price("o");
    kline.close = inner.Price("c");
    kline.high = inner.Price("h");
    kline.low = inner.Price("l");
    kline.volume = inner.Amount("v");
    kline.trade_count = inner.Integer("n");
    kline.closed = inner.Bool("x");
    kline.quote_volume = inner.Amount("q");
    if (inner.ok() && inner_symbol != kline.symbol) {
      inner.Fail(ParseErrorReason::kInvalidField, "s",
                 "differs from the event symbol");
    }
    if (inner.ok()) {
      absl::StatusOr<domain::Interval> interval =
          domain::ParseInterval(interval_name);
      if (!interval.ok()) {
        inner.Fail(ParseErrorReason::kInvalidField, "i",
                   "unsupported interval");
      } else {
        kline.interval = *interval;
      }
    }
    if (inner.ok() &&
        (domain::AlignToInterval(kline.open_time_ms, kline.interval) !=
             kline.open_time_ms ||
         kline.close_time_ms !=
             kline.open_time_ms + domain::IntervalMillis(kline.interval) - 1)) {
      inner.Fail(ParseErrorReason::kInvalidField, "T",
                 "open/close times do not match the interval");
    }
    if (inner.ok() && kline.trade_count < 0) {
      inner.Fail(ParseErrorReason::kInvalidField, "n",
                 "trade count must not be negative");
    }
    CheckOhlc(inner, kline.open, kline.high, kline.low, kline.close);
  }
  if (!inner.ok()) return inner.TakeError();
  return kline;
}

ParseResult<StreamEvent> ParseEvent(const JsonValue& event,
                                    const std::string& path) {
  FieldReader reader(event, path, DecimalEncoding::kString);
  if (!reader.ExpectObject()) return reader.TakeError();
  const std::string type = reader.String("e");
  if (!reader.ok()) return reader.TakeError();
  auto wrap = [](auto result) -> ParseResult<StreamEvent> {
    if (!result.ok()) return result.error();
    return StreamEvent(std::move(result).value());
  };
  if (type == "trade") return wrap(ParseTrade(reader));
  if (type == "24hrMiniTicker") return wrap(ParseMiniTicker(reader));
  if (type == "kline") return wrap(ParseKlineEvent(reader, event, path));
  reader.Fail(ParseErrorReason::kUnknownEvent, "e",
              "event type \"" + type.substr(0, 32) + "\" is not handled");
  return reader.TakeError();
}

std::string_view EventSymbol(const StreamEvent& event) {
  return std::visit([](const auto& e) -> std::string_view { return e.symbol; },
                    event);
}

std::string ToLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower;
}

}  // namespace

ParseResult<Batch<Kline>> ParseKlines(std::string_view body) {
  ParseResult<JsonValue> document = ParseJson(body);
  if (!document.ok()) return document.error();
  if (document->type() != JsonValue::Type::kArray) {
    return ParseError{ParseErrorReason::kWrongType,
                      "$: expected an array of klines"};
  }
  Batch<Kline> batch;
  const std::vector<JsonValue>& rows = document->array();
  for (size_t i = 0; i < rows.size(); ++i) {
    ParseResult<Kline> kline = ParseKlineRow(rows[i], Index(i));
    if (kline.ok()) {
      batch.items.push_back(std::move(kline).value());
    } else {
      batch.rejected.push_back(ItemError{i, kline.error()});
    }
  }
  return batch;
}

domain::Candle KlineToCandle(const Kline& kline, std::string symbol,
                             domain::Interval interval, int64_t now_ms) {
  domain::Candle candle;
  candle.symbol = std::move(symbol);
  candle.interval = interval;
  candle.open_time_ms = kline.open_time_ms;
  candle.open = kline.open;
  candle.high = kline.high;
  candle.low = kline.low;
  candle.close = kline.close;
  candle.volume = kline.volume;
  candle.quote_volume = kline.quote_volume;
  candle.trade_count = kline.trade_count;
  candle.closed = now_ms > kline.close_time_ms;
  return candle;
}

domain::Tick TradeToTick(const TradeEvent& trade) {
  return domain::Tick{trade.symbol, trade.price, trade.quantity,
                      trade.trade_time_ms, trade.trade_id};
}

domain::Candle KlineEventToCandle(const KlineEvent& event) {
  domain::Candle candle;
  candle.symbol = event.symbol;
  candle.interval = event.interval;
  candle.open_time_ms = event.open_time_ms;
  candle.open = event.open;
  candle.high = event.high;
  candle.low = event.low;
  candle.close = event.close;
  candle.volume = event.volume;
  candle.quote_volume = event.quote_volume;
  candle.trade_count = event.trade_count;
  candle.closed = event.closed;
  return candle;
}

ParseResult<StreamMessage> ParseStreamMessage(std::string_view frame) {
  ParseResult<JsonValue> document = ParseJson(frame);
  if (!document.ok()) return document.error();
  const JsonValue& root = *document;
  if (root.type() != JsonValue::Type::kObject) {
    return ParseError{
        ParseErrorReason::kWrongType,
        "$: expected an object, got " + std::string(JsonTypeName(root.type()))};
  }
  const JsonValue* data = root.Find("data");
  if (data == nullptr && root.Find("e") == nullptr &&
      root.Find("id") != nullptr) {
    return ParseError{ParseErrorReason::kControlMessage,
                      "$: subscription reply, not a market event"};
  }
  StreamMessage message;
  std::string data_path;
  if (data != nullptr) {
    FieldReader envelope(root, "", DecimalEncoding::kString);
    message.stream = envelope.NonEmptyString("stream", 128);
    if (!envelope.ok()) return envelope.TakeError();
    data_path = "data";
  } else {
    data = &root;
  }

  if (data->type() == JsonValue::Type::kArray) {
    const std::vector<JsonValue>& events = data->array();
    for (size_t i = 0; i < events.size(); ++i) {
      ParseResult<StreamEvent> event =
          ParseEvent(events[i], data_path + Index(i));
      if (event.ok()) {
        message.events.push_back(std::move(event).value());
      } else {
        message.rejected.push_back(ItemError{i, event.error()});
      }
    }
    return message;
  }

  ParseResult<StreamEvent> event = ParseEvent(*data, data_path);
  if (!event.ok()) return event.error();
  // "btcusdt@trade": the part before '@' is the lower-case symbol.
  // All-market streams start with '!' and carry many symbols.
  if (!message.stream.empty() && message.stream.front() != '!') {
    const std::string_view stream_symbol =
        std::string_view(message.stream).substr(0, message.stream.find('@'));
    if (stream_symbol != ToLower(EventSymbol(*event))) {
      return ParseError{ParseErrorReason::kInvalidField,
                        "stream: symbol does not match data.s"};
    }
  }
  message.events.push_back(std::move(event).value());
  return message;
}

}  // namespace cryptotracker::pricing::parsers
