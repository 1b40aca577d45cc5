// Indicator series for the chart overlays and panes, computed from candle
// closes. The service's analysis endpoint gives the latest values exactly;
// these series only draw their history, so floating point is fine here.
// Each function returns one entry per input with undefined where the
// indicator is not defined yet (too little history).

export type Series = (number | undefined)[];

export function sma(values: number[], period: number): Series {
  const out: Series = new Array(values.length).fill(undefined);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= period) sum -= values[i - period]!;
    if (i >= period - 1) out[i] = sum / period;
  }
  return out;
}

/** EMA seeded with the SMA of the first `period` values (as the service does). */
export function ema(values: number[], period: number): Series {
  const out: Series = new Array(values.length).fill(undefined);
  if (values.length < period) return out;
  const k = 2 / (period + 1);
  let current = values.slice(0, period).reduce((a, b) => a + b, 0) / period;
  out[period - 1] = current;
  for (let i = period; i < values.length; i++) {
    current = values[i]! * k + current * (1 - k);
    out[i] = current;
  }
  return out;
}

export interface Bands {
  middle: Series;
  upper: Series;
  lower: Series;
}

/** Bollinger bands with the population standard deviation. */
export function bollinger(values: number[], period = 20, multiplier = 2): Bands {
  const middle = sma(values, period);
  const upper: Series = new Array(values.length).fill(undefined);
  const lower: Series = new Array(values.length).fill(undefined);
  for (let i = period - 1; i < values.length; i++) {
    const mean = middle[i]!;
    let squares = 0;
    for (let j = i - period + 1; j <= i; j++) squares += (values[j]! - mean) ** 2;
    const deviation = Math.sqrt(squares / period);
    upper[i] = mean + multiplier * deviation;
    lower[i] = mean - multiplier * deviation;
  }
  return { middle, upper, lower };
}

/** RSI with Wilder's smoothing; first value at index `period`. */
export function rsi(values: number[], period = 14): Series {
  const out: Series = new Array(values.length).fill(undefined);
  if (values.length <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = values[i]! - values[i - 1]!;
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  const value = () => (loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss));
  out[period] = value();
  for (let i = period + 1; i < values.length; i++) {
    const change = values[i]! - values[i - 1]!;
    gain = (gain * (period - 1) + Math.max(change, 0)) / period;
    loss = (loss * (period - 1) + Math.max(-change, 0)) / period;
    out[i] = value();
  }
  return out;
}

export interface MacdSeries {
  macd: Series;
  signal: Series;
  histogram: Series;
}

export function macd(values: number[], fast = 12, slow = 26, signalPeriod = 9): MacdSeries {
  const fastEma = ema(values, fast);
  const slowEma = ema(values, slow);
  const line: Series = values.map((_, i) =>
    fastEma[i] !== undefined && slowEma[i] !== undefined ? fastEma[i]! - slowEma[i]! : undefined,
  );
  const start = line.findIndex((v) => v !== undefined);
  const signal: Series = new Array(values.length).fill(undefined);
  if (start >= 0) {
    const defined = line.slice(start) as number[];
    ema(defined, signalPeriod).forEach((v, i) => {
      signal[start + i] = v;
    });
  }
  const histogram: Series = line.map((v, i) =>
    v !== undefined && signal[i] !== undefined ? v - signal[i]! : undefined,
  );
  return { macd: line, signal, histogram };
}
