import { useEffect, useState } from 'react';
import type { PricingApi } from '../api/client';
import type { Asset } from '../api/types';

/** Hourly closes of the last day per symbol, for the sparklines. */
const POINTS = 24;
const CONCURRENCY = 4;

export function useSparklines(pricingApi: PricingApi, assets: Asset[] | undefined): ReadonlyMap<string, number[]> {
  const [lines, setLines] = useState<ReadonlyMap<string, number[]>>(new Map());
  const symbols = assets?.map((asset) => asset.symbol).join(',') ?? '';

  useEffect(() => {
    if (!symbols) return;
    const controller = new AbortController();
    const queue = symbols.split(',');
    const worker = async () => {
      for (let symbol = queue.shift(); symbol && !controller.signal.aborted; symbol = queue.shift()) {
        try {
          const series = await pricingApi.getCandles(symbol, 'INTERVAL_1H', POINTS, controller.signal);
          const closes = series.candles.map((candle) => Number(candle.close)).filter(Number.isFinite);
          if (!controller.signal.aborted) {
            setLines((current) => new Map(current).set(symbol!, closes));
          }
        } catch {
          // A missing sparkline is shown as "no recent data"; the row still works.
        }
      }
    };
    for (let i = 0; i < CONCURRENCY; i++) void worker();
    return () => controller.abort();
  }, [pricingApi, symbols]);

  return lines;
}
