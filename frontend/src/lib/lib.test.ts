import { describe, expect, it } from 'vitest';
import { applyTick, bucketStart, toBars } from './candles';
import { direction, formatCompact, formatPercent, formatPrice } from './format';
import { bollinger, ema, macd, rsi, sma } from './indicators';
import { marketRows, nextSortOrder } from './marketRows';
import { nextPreference, readPreference, resolveTheme } from './theme';
import { parseConfig } from '../config';
import { toAsset, toCandle, toPrice } from '../api/normalize';
import { assetJson, btcPriceJson, candleJson, ethPriceJson } from '../test/fixtures';

describe('format', () => {
  it('formats decimal strings for display', () => {
    expect(formatPrice('64250.1', 2)).toBe('$64,250.10');
    expect(formatPrice('0.00001234')).toBe('$0.00001234');
    expect(formatPrice('3100.5', 2, 'EUR')).toBe('€3,100.50');
    expect(formatPrice('', 2)).toBe('—');
    expect(formatPercent('-3.114')).toBe('−3.11%');
    expect(formatPercent('1.98')).toBe('+1.98%');
    expect(formatPercent('')).toBe('—');
    expect(formatCompact('793000000.5', '$')).toBe('$793M');
    expect(direction('-0.01')).toBe('down');
    expect(direction('0')).toBe('flat');
    expect(direction('abc')).toBe('flat');
  });
});

describe('indicators', () => {
  const closes = [44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.1, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28, 46.28, 46.0, 46.03, 46.41, 46.22, 45.64];

  it('computes SMA and an SMA-seeded EMA', () => {
    expect(sma([1, 2, 3, 4, 5], 3)).toEqual([undefined, undefined, 2, 3, 4]);
    const e = ema([1, 2, 3, 4, 5], 3);
    expect(e.slice(0, 2)).toEqual([undefined, undefined]);
    expect(e[2]).toBe(2);
    expect(e[3]).toBeCloseTo(3); // 4*0.5 + 2*0.5
    expect(e[4]).toBeCloseTo(4);
  });

  it('computes Wilder RSI (classic 14-period example ≈ 70.53 at index 14)', () => {
    const values = rsi(closes, 14);
    expect(values[13]).toBeUndefined();
    expect(values[14]).toBeCloseTo(70.46, 0);
    expect(rsi([1, 2, 3, 4, 5, 6], 3)[5]).toBe(100);
  });

  it('computes Bollinger bands with the population deviation', () => {
    const bands = bollinger([2, 4, 4, 4, 5, 5, 7, 9], 8, 2);
    expect(bands.middle[7]).toBe(5);
    expect(bands.upper[7]).toBe(9); // σ = 2
    expect(bands.lower[7]).toBe(1);
    expect(bands.upper[6]).toBeUndefined();
  });

  it('computes MACD, signal and histogram', () => {
    const values = Array.from({ length: 60 }, (_, i) => 100 + i);
    const m = macd(values);
    expect(m.macd[24]).toBeUndefined();
    expect(m.macd[25]).toBeCloseTo(7, 5); // linear series: EMA lag difference (26-12)/2
    expect(m.signal[33]).toBeCloseTo(7, 5);
    expect(m.histogram[40]).toBeCloseTo(0, 5);
  });
});

describe('candles', () => {
  const interval = 'INTERVAL_1M' as const;
  const bars = () =>
    toBars([
      toCandle(candleJson('2026-01-01T00:00:00Z', '10', '12', '9', '11')),
      toCandle(candleJson('2026-01-01T00:01:00Z', '11', '13', '10', '12', false)),
    ]);

  it('converts candles and drops bad or out-of-order ones', () => {
    const result = toBars([
      toCandle(candleJson('2026-01-01T00:01:00Z', '1', '2', '0.5', '1.5')),
      toCandle(candleJson('2026-01-01T00:00:00Z', '1', '2', '0.5', '1.5')),
      toCandle(candleJson('bad', '1', '2', '0.5', '1.5')),
      toCandle(candleJson('2026-01-01T00:02:00Z', '', '2', '0.5', '1.5')),
    ]);
    expect(result).toHaveLength(1);
    expect(result[0]!.time).toBe(Date.parse('2026-01-01T00:01:00Z') / 1000);
  });

  it('grows the open candle with ticks', () => {
    const b = bars();
    const changed = applyTick(b, 14, Date.parse('2026-01-01T00:01:30Z'), interval);
    expect(changed).toMatchObject({ close: 14, high: 14, low: 10 });
    applyTick(b, 9.5, Date.parse('2026-01-01T00:01:40Z'), interval);
    expect(b[1]).toMatchObject({ close: 9.5, high: 14, low: 9.5 });
    expect(b).toHaveLength(2);
  });

  it('starts a new candle when a tick falls after the open one', () => {
    const b = bars();
    const opened = applyTick(b, 12.5, Date.parse('2026-01-01T00:02:05Z'), interval);
    expect(b).toHaveLength(3);
    expect(b[1]!.closed).toBe(true);
    expect(opened).toMatchObject({ time: Date.parse('2026-01-01T00:02:00Z') / 1000, open: 12, close: 12.5, high: 12.5, low: 12 });
  });

  it('ignores ticks older than the last candle', () => {
    const b = bars();
    expect(applyTick(b, 99, Date.parse('2026-01-01T00:00:30Z'), interval)).toBeUndefined();
    expect(b[0]!.close).toBe(11);
  });

  it('buckets by the interval width', () => {
    expect(bucketStart(Date.parse('2026-01-01T05:47:00Z'), 'INTERVAL_4H')).toBe(Date.parse('2026-01-01T04:00:00Z') / 1000);
  });
});

describe('market rows', () => {
  const assets = [assetJson('BTC', 'Bitcoin', 1), assetJson('ETH', 'Ethereum', 2), assetJson('NEW', 'Newcoin', 0)].map(toAsset);
  const prices = new Map([
    ['BTC', toPrice(btcPriceJson)],
    ['ETH', toPrice(ethPriceJson)],
  ]);

  it('sorts by any column with missing values last', () => {
    const symbols = (key: Parameters<typeof nextSortOrder>[1], dir: 'ascending' | 'descending') =>
      marketRows(assets, prices, '', { key, direction: dir }).map((r) => r.asset.symbol);
    expect(symbols('rank', 'ascending')).toEqual(['BTC', 'ETH', 'NEW']);
    expect(symbols('change', 'descending')).toEqual(['BTC', 'ETH', 'NEW']);
    expect(symbols('change', 'ascending')).toEqual(['ETH', 'BTC', 'NEW']);
    expect(symbols('price', 'ascending')).toEqual(['ETH', 'BTC', 'NEW']);
    expect(symbols('name', 'descending')).toEqual(['NEW', 'ETH', 'BTC']);
  });

  it('filters by symbol or name, case-insensitively', () => {
    expect(marketRows(assets, prices, 'eth', { key: 'rank', direction: 'ascending' }).map((r) => r.asset.symbol)).toEqual(['ETH']);
    expect(marketRows(assets, prices, 'coin', { key: 'rank', direction: 'ascending' }).map((r) => r.asset.symbol)).toEqual(['BTC', 'NEW']);
  });

  it('toggles direction on the same column and starts numbers descending', () => {
    expect(nextSortOrder({ key: 'rank', direction: 'ascending' }, 'volume')).toEqual({ key: 'volume', direction: 'descending' });
    expect(nextSortOrder({ key: 'volume', direction: 'descending' }, 'volume')).toEqual({ key: 'volume', direction: 'ascending' });
  });
});

describe('theme and config', () => {
  it('follows the system unless a theme was chosen', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('light', true)).toBe('light');
    expect(readPreference({ getItem: () => 'dark' })).toBe('dark');
    expect(readPreference({ getItem: () => 'purple' })).toBe('system');
    expect(['system', 'light', 'dark'].map((p) => nextPreference(p as 'system'))).toEqual(['light', 'dark', 'system']);
  });

  it('reads runtime config with safe fallbacks', () => {
    expect(parseConfig(undefined)).toEqual({ apiBaseUrl: '', quote: 'USD', refreshLeadSeconds: 60 });
    expect(parseConfig({ apiBaseUrl: 'https://api.example.com/', quote: 'EUR', refreshLeadSeconds: 30 })).toEqual({
      apiBaseUrl: 'https://api.example.com', quote: 'EUR', refreshLeadSeconds: 30,
    });
    expect(parseConfig({ quote: 'JPY', refreshLeadSeconds: 0 })).toMatchObject({ quote: 'USD', refreshLeadSeconds: 60 });
  });
});
