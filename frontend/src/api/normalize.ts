// Turns API JSON (every field optional per the OpenAPI types) into the
// complete domain objects of types.ts.
import type { components as PricingComponents } from './generated/pricing';
import type { components as UserComponents } from './generated/user';
import type {
  Analysis,
  Asset,
  Candle,
  CandleSeries,
  Interval,
  MarketSummary,
  MovingAverage,
  Price,
  User,
} from './types';

type S = PricingComponents['schemas'];

const str = (value: string | undefined): string => value ?? '';
const num = (value: number | undefined): number => value ?? 0;
const derivation = (value: S['v1PriceDerivation'] | undefined): S['v1PriceDerivation'] =>
  value ?? 'PRICE_DERIVATION_UNSPECIFIED';

/** The server echoes the interval it used; an unset or UNSPECIFIED echo means "the one asked for". */
const resolveInterval = (value: S['v1Interval'] | undefined, requested: Interval): Interval =>
  value && value !== 'INTERVAL_UNSPECIFIED' ? value : requested;

export function toAsset(raw: S['v1Asset']): Asset {
  return {
    symbol: str(raw.symbol),
    name: str(raw.name),
    rank: num(raw.rank),
    exchange: str(raw.exchange),
    pair: str(raw.pair),
    marketCapUsd: str(raw.marketCapUsd),
    circulatingSupply: str(raw.circulatingSupply),
    priceDecimals: num(raw.priceDecimals),
    quantityDecimals: num(raw.quantityDecimals),
    updateTime: str(raw.updateTime),
    metadata: {
      logoUrl: str(raw.metadata?.logoUrl),
      websiteUrl: str(raw.metadata?.websiteUrl),
      description: str(raw.metadata?.description),
      categories: raw.metadata?.categories ?? [],
    },
  };
}

export function toPrice(raw: S['v1Price']): Price {
  return {
    symbol: str(raw.symbol),
    quote: str(raw.quote),
    pair: str(raw.pair),
    derivation: derivation(raw.derivation),
    via: str(raw.via),
    lastPrice: str(raw.lastPrice),
    open24h: str(raw.open24h),
    high24h: str(raw.high24h),
    low24h: str(raw.low24h),
    change24h: str(raw.change24h),
    changePercent24h: str(raw.changePercent24h),
    volume24h: str(raw.volume24h),
    quoteVolume24h: str(raw.quoteVolume24h),
    source: str(raw.source),
    updateTime: str(raw.updateTime),
    stale: raw.stale ?? false,
  };
}

export function toCandle(raw: S['v1Candle']): Candle {
  return {
    openTime: str(raw.openTime),
    closeTime: str(raw.closeTime),
    open: str(raw.open),
    high: str(raw.high),
    low: str(raw.low),
    close: str(raw.close),
    volume: str(raw.volume),
    quoteVolume: str(raw.quoteVolume),
    tradeCount: num(raw.tradeCount),
    closed: raw.closed ?? false,
  };
}

export function toCandleSeries(raw: S['v1GetCandlesResponse'], requested: Interval): CandleSeries {
  return {
    symbol: str(raw.symbol),
    quote: str(raw.quote),
    pair: str(raw.pair),
    derivation: derivation(raw.derivation),
    interval: resolveInterval(raw.interval, requested),
    candles: (raw.candles ?? []).map(toCandle),
  };
}

const toMovingAverage = (raw: S['v1MovingAverage']): MovingAverage => ({
  period: num(raw.period),
  value: str(raw.value),
});

export function toAnalysis(raw: S['v1Analysis'], requested: Interval): Analysis {
  return {
    symbol: str(raw.symbol),
    quote: str(raw.quote),
    pair: str(raw.pair),
    interval: resolveInterval(raw.interval, requested),
    candleRange: {
      startTime: str(raw.candleRange?.startTime),
      endTime: str(raw.candleRange?.endTime),
      candleCount: num(raw.candleRange?.candleCount),
    },
    lastClose: str(raw.lastClose),
    sma: (raw.sma ?? []).map(toMovingAverage),
    ema: (raw.ema ?? []).map(toMovingAverage),
    rsi: { period: num(raw.rsi?.period), value: str(raw.rsi?.value) },
    macd: {
      fastPeriod: num(raw.macd?.fastPeriod),
      slowPeriod: num(raw.macd?.slowPeriod),
      signalPeriod: num(raw.macd?.signalPeriod),
      macd: str(raw.macd?.macd),
      signal: str(raw.macd?.signal),
      histogram: str(raw.macd?.histogram),
    },
    bollinger: {
      period: num(raw.bollinger?.period),
      stdDevMultiplier: str(raw.bollinger?.stdDevMultiplier),
      middle: str(raw.bollinger?.middle),
      upper: str(raw.bollinger?.upper),
      lower: str(raw.bollinger?.lower),
    },
    atr: { period: num(raw.atr?.period), value: str(raw.atr?.value) },
    realizedVolatilityPercent: str(raw.realizedVolatilityPercent),
    maxDrawdownPercent: str(raw.maxDrawdownPercent),
    returns: {
      changePercent1h: str(raw.returns?.changePercent1h),
      changePercent24h: str(raw.returns?.changePercent24h),
      changePercent7d: str(raw.returns?.changePercent7d),
      changePercent30d: str(raw.returns?.changePercent30d),
    },
    computeTime: str(raw.computeTime),
  };
}

export function toMarketSummary(raw: S['v1MarketSummary']): MarketSummary {
  return {
    quote: str(raw.quote),
    topGainers: (raw.topGainers ?? []).map(toPrice),
    topLosers: (raw.topLosers ?? []).map(toPrice),
    assetCount: num(raw.assetCount),
    staleCount: num(raw.staleCount),
    totalVolume24h: str(raw.totalVolume24h),
    breadth: {
      advancingCount: num(raw.breadth?.advancingCount),
      decliningCount: num(raw.breadth?.decliningCount),
      unchangedCount: num(raw.breadth?.unchangedCount),
      advanceDeclineRatio: str(raw.breadth?.advanceDeclineRatio),
      advancingPercent: str(raw.breadth?.advancingPercent),
    },
    computeTime: str(raw.computeTime),
  };
}

export function toUser(raw: UserComponents['schemas']['v1User']): User {
  return {
    id: str(raw.id),
    email: str(raw.email),
    displayName: str(raw.displayName),
    createTime: str(raw.createTime),
    updateTime: str(raw.updateTime),
  };
}
