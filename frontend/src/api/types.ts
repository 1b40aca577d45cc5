// Domain types of the SPA, derived from the generated OpenAPI types so they
// cannot drift from the contracts. The gateway always writes unset proto3
// fields ("" / 0 / false / []), but OpenAPI v2 cannot say so and marks every
// field optional; normalize.ts fills the defaults once at the boundary so the
// rest of the app works with complete objects.
import type { components as PricingComponents } from './generated/pricing';
import type { components as UserComponents } from './generated/user';

type PricingSchemas = PricingComponents['schemas'];
type UserSchemas = UserComponents['schemas'];

/** Makes every field present and non-undefined (one level deep). */
export type Complete<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export type Interval = Exclude<PricingSchemas['v1Interval'], 'INTERVAL_UNSPECIFIED'>;
export type Asset = Complete<Omit<PricingSchemas['v1Asset'], 'metadata'>> & {
  metadata: Complete<PricingSchemas['v1AssetMetadata']>;
};
export type Price = Complete<PricingSchemas['v1Price']>;
export type Candle = Complete<PricingSchemas['v1Candle']>;
export type CandleSeries = Complete<Omit<PricingSchemas['v1GetCandlesResponse'], 'candles' | 'interval'>> & {
  interval: Interval;
  candles: Candle[];
};
export type MovingAverage = Complete<PricingSchemas['v1MovingAverage']>;
export type Analysis = Complete<
  Omit<
    PricingSchemas['v1Analysis'],
    'interval' | 'sma' | 'ema' | 'rsi' | 'macd' | 'bollinger' | 'atr' | 'returns' | 'candleRange'
  >
> & {
  interval: Interval;
  sma: MovingAverage[];
  ema: MovingAverage[];
  rsi: Complete<PricingSchemas['v1Rsi']>;
  macd: Complete<PricingSchemas['v1Macd']>;
  bollinger: Complete<PricingSchemas['v1BollingerBands']>;
  atr: Complete<PricingSchemas['v1Atr']>;
  returns: Complete<PricingSchemas['v1Returns']>;
  candleRange: Complete<PricingSchemas['v1CandleRange']>;
};
export type MarketSummary = Complete<
  Omit<PricingSchemas['v1MarketSummary'], 'topGainers' | 'topLosers' | 'breadth'>
> & {
  topGainers: Price[];
  topLosers: Price[];
  breadth: Complete<PricingSchemas['v1MarketBreadth']>;
};

export type User = Complete<UserSchemas['v1User']>;
export type TokenResponse = UserSchemas['v1TokenResponse'];

/** One decoded line of the price stream. */
export type StreamEvent =
  | { kind: 'price'; price: Price }
  | { kind: 'heartbeat'; serverTime: string };
