// Candles as the chart draws them, and the live candle that grows from price
// ticks between candle fetches.
import type { Candle, Interval } from '../api/types';
import { decimal } from './format';
import { intervalSeconds } from './intervals';

export interface Bar {
  /** Open time, UNIX seconds (UTC). */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  closed: boolean;
}

/** API candles to bars; candles with an unparsable time or price are dropped. */
export function toBars(candles: Candle[]): Bar[] {
  const bars: Bar[] = [];
  for (const candle of candles) {
    const time = Date.parse(candle.openTime);
    const open = decimal(candle.open);
    const high = decimal(candle.high);
    const low = decimal(candle.low);
    const close = decimal(candle.close);
    if (Number.isNaN(time) || open === undefined || high === undefined || low === undefined || close === undefined) {
      continue;
    }
    const bar = {
      time: Math.floor(time / 1000), open, high, low, close,
      volume: decimal(candle.volume) ?? 0,
      closed: candle.closed,
    };
    const previous = bars[bars.length - 1];
    if (previous && previous.time >= bar.time) continue; // keep ascending, unique times
    bars.push(bar);
  }
  return bars;
}

/** Start (UNIX seconds) of the candle that contains `timeMs`. */
export function bucketStart(timeMs: number, interval: Interval): number {
  const width = intervalSeconds(interval);
  return Math.floor(timeMs / 1000 / width) * width;
}

/**
 * Applies a price tick to the bars: it grows the open candle, starts a new one
 * when the tick falls after it, and ignores ticks older than the last candle.
 * Returns the bar that changed (to update the chart) or undefined.
 */
export function applyTick(bars: Bar[], price: number, timeMs: number, interval: Interval): Bar | undefined {
  if (!Number.isFinite(price) || Number.isNaN(timeMs)) return undefined;
  const start = bucketStart(timeMs, interval);
  const last = bars[bars.length - 1];
  if (last && start < last.time) return undefined;
  if (last && start === last.time) {
    last.close = price;
    last.high = Math.max(last.high, price);
    last.low = Math.min(last.low, price);
    return last;
  }
  if (last) last.closed = true;
  const opened: Bar = {
    time: start,
    open: last ? last.close : price,
    high: Math.max(price, last ? last.close : price),
    low: Math.min(price, last ? last.close : price),
    close: price,
    volume: 0,
    closed: false,
  };
  bars.push(opened);
  return opened;
}
