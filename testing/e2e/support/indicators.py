"""The analysis indicators recomputed from candles, to compare exactly.

pricing-service computes its indicators in double precision
(services/pricing-service/domain/indicators.h documents each formula) and
rounds the results to decimal strings. Python's float is the same IEEE
double and math.log/math.sqrt are the same C library functions, so doing
the same operations in the same order gives the same bits, and formatting
them the same way gives the same strings. A wrong period, window, seed,
smoothing or candle set changes the answer, which an expectation like "there
is an SMA 20" never notices.

Every function takes floats parsed from the API's decimal strings (which is
what the service does too: exact decimal text to the nearest double) and
returns None where the service leaves the value empty (too few candles).
"""

import math
from decimal import Decimal

# The service's display precision: prices with 8 decimals, percentages and
# RSI with 2 (pricing_handler.cc, market::kPercentDigits).
PRICE_DIGITS = 8
PERCENT_DIGITS = 2
MILLIS_PER_YEAR = 365.0 * 24 * 60 * 60 * 1000


def api_text(value, digits):
    """A double as the service writes it: rounded to `digits` decimals, then
    as an exact decimal without trailing zeros ("" for no value)."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    number = Decimal(text)
    if number == 0:
        return "0"
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _window_mean(values, end, period):
    total = 0.0
    for value in values[end + 1 - period:end + 1]:
        total += value
    return total / period


def sma(values, period):
    if len(values) < period:
        return None
    return _window_mean(values, len(values) - 1, period)


def ema_series(values, period):
    """Every EMA value from index period - 1 on, seeded with the SMA."""
    alpha = 2.0 / (period + 1)
    ema = _window_mean(values, period - 1, period)
    series = [ema]
    for value in values[period:]:
        ema = alpha * value + (1 - alpha) * ema
        series.append(ema)
    return series


def ema(values, period):
    return ema_series(values, period)[-1] if len(values) >= period else None


def _rsi_from_averages(average_gain, average_loss):
    if average_loss == 0:
        return 50.0 if average_gain == 0 else 100.0
    return 100.0 - 100.0 / (1.0 + average_gain / average_loss)


def rsi(closes, period=14):
    """Wilder's RSI."""
    if len(closes) < period + 1:
        return None
    average_gain = average_loss = 0.0
    for i in range(1, period + 1):
        change = closes[i] - closes[i - 1]
        if change > 0:
            average_gain += change
        if change < 0:
            average_loss -= change
    average_gain /= period
    average_loss /= period
    for i in range(period + 1, len(closes)):
        change = closes[i] - closes[i - 1]
        gain = change if change > 0 else 0
        loss = -change if change < 0 else 0
        average_gain = (average_gain * (period - 1) + gain) / period
        average_loss = (average_loss * (period - 1) + loss) / period
    return _rsi_from_averages(average_gain, average_loss)


def macd(closes, fast=12, slow=26, signal=9):
    """(line, signal, histogram) of the last candle, or None."""
    if len(closes) < slow + signal - 1:
        return None
    fast_ema = ema_series(closes, fast)
    slow_ema = ema_series(closes, slow)
    # Both series end at the last candle; the line starts where the slow one does.
    line = [f - s for f, s in zip(fast_ema[slow - fast:], slow_ema)]
    signal_line = ema_series(line, signal)
    return line[-1], signal_line[-1], line[-1] - signal_line[-1]


def bollinger(closes, period=20, k=2.0):
    """(middle, upper, lower) of the last window, or None."""
    if len(closes) < period:
        return None
    end = len(closes) - 1
    mean = _window_mean(closes, end, period)
    squares = 0.0
    for close in closes[end + 1 - period:]:
        squares += (close - mean) * (close - mean)
    sigma = math.sqrt(squares / period)
    return mean, mean + k * sigma, mean - k * sigma


def atr(highs, lows, closes, period=14):
    """Wilder's average true range."""
    if len(closes) < period + 1:
        return None

    def true_range(i):
        return max(highs[i] - lows[i], abs(highs[i] - closes[i - 1]), abs(lows[i] - closes[i - 1]))

    value = 0.0
    for i in range(1, period + 1):
        value += true_range(i)
    value /= period
    for i in range(period + 1, len(closes)):
        value = (value * (period - 1) + true_range(i)) / period
    return value


def realized_volatility(closes, interval_ms):
    """Annualised sample standard deviation of the log returns (a fraction)."""
    if len(closes) < 3:
        return None
    returns = [math.log(closes[i] / closes[i - 1]) for i in range(1, len(closes))]
    mean = 0.0
    for value in returns:
        mean += value
    mean /= len(returns)
    squares = 0.0
    for value in returns:
        squares += (value - mean) * (value - mean)
    return math.sqrt(squares / (len(returns) - 1)) * math.sqrt(MILLIS_PER_YEAR / interval_ms)


def max_drawdown(closes):
    """Largest fall from a running peak, as a fraction of the peak."""
    if not closes:
        return None
    worst = 0.0
    peak = 0
    for i in range(1, len(closes)):
        if closes[i] > closes[peak]:
            peak = i
            continue
        fall = (closes[peak] - closes[i]) / closes[peak]
        if fall > worst:
            worst = fall
    return worst


def percent(fraction):
    return None if fraction is None else fraction * 100.0


def expected_analysis(candles, interval_ms):
    """The indicator fields of an Analysis answer (as the gateway writes them)
    for these candles, oldest first."""
    highs = [float(c["high"]) for c in candles]
    lows = [float(c["low"]) for c in candles]
    closes = [float(c["close"]) for c in candles]
    line = macd(closes)
    bands = bollinger(closes)
    return {
        "sma": [{"period": p, "value": api_text(sma(closes, p), PRICE_DIGITS)} for p in (20, 50, 200)],
        "ema": [{"period": p, "value": api_text(ema(closes, p), PRICE_DIGITS)} for p in (12, 26, 50, 200)],
        "rsi": {"period": 14, "value": api_text(rsi(closes), PERCENT_DIGITS)},
        "macd": {"fastPeriod": 12, "slowPeriod": 26, "signalPeriod": 9,
                 **dict(zip(("macd", "signal", "histogram"),
                            (api_text(v, PRICE_DIGITS) for v in (line or (None, None, None)))))},
        "bollinger": {"period": 20, "stdDevMultiplier": "2",
                      **dict(zip(("middle", "upper", "lower"),
                                 (api_text(v, PRICE_DIGITS) for v in (bands or (None, None, None)))))},
        "atr": {"period": 14, "value": api_text(atr(highs, lows, closes), PRICE_DIGITS)},
        "realizedVolatilityPercent": api_text(percent(realized_volatility(closes, interval_ms)), PERCENT_DIGITS),
        "maxDrawdownPercent": api_text(percent(max_drawdown(closes)), PERCENT_DIGITS),
    }
