// Fixtures in the exact JSON shape the gateway writes (protojson, lowerCamelCase,
// unset scalars present, 64-bit ints as strings, RFC 3339 timestamps).

export const btcPriceJson = {
  symbol: 'BTC', quote: 'USD', pair: 'BTCUSDT', derivation: 'PRICE_DERIVATION_STABLECOIN' as const, via: 'USDT',
  lastPrice: '64250.12', open24h: '63000.00', high24h: '64800.50', low24h: '62500.00', change24h: '1250.12',
  changePercent24h: '1.98', volume24h: '12345.678', quoteVolume24h: '793000000.5', source: 'binance',
  updateTime: '2026-01-02T03:04:05Z', stale: false,
};

export const ethPriceJson = {
  ...btcPriceJson, symbol: 'ETH', pair: 'ETHUSDT', lastPrice: '3100.5', open24h: '3200', high24h: '3250',
  low24h: '3050', change24h: '-99.5', changePercent24h: '-3.11', quoteVolume24h: '250000000',
};

export const assetJson = (symbol: string, name: string, rank: number) => ({
  symbol, name, rank, exchange: 'binance', pair: `${symbol}USDT`, marketCapUsd: '', circulatingSupply: '',
  priceDecimals: 2, quantityDecimals: 6,
  metadata: { logoUrl: '', websiteUrl: '', description: '', categories: [] },
  updateTime: '2026-01-01T00:00:00Z',
});

export const candleJson = (openTime: string, open: string, high: string, low: string, close: string, closed = true) => ({
  openTime, closeTime: openTime, open, high, low, close, volume: '10.5', quoteVolume: '650000', tradeCount: 42, closed,
});

export const analysisJson = {
  symbol: 'BTC', quote: 'USD', pair: 'BTCUSDT', interval: 'INTERVAL_1H' as const,
  candleRange: { startTime: '2026-01-01T00:00:00Z', endTime: '2026-01-02T00:00:00Z', candleCount: 24 },
  lastClose: '64250.12',
  sma: [{ period: 20, value: '64000.5' }, { period: 50, value: '' }, { period: 200, value: '' }],
  ema: [{ period: 12, value: '64100' }],
  rsi: { period: 14, value: '61.23' },
  macd: { fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, macd: '12.5', signal: '10.1', histogram: '2.4' },
  bollinger: { period: 20, stdDevMultiplier: '2', middle: '64000.5', upper: '65000', lower: '63000' },
  atr: { period: 14, value: '350.2' },
  realizedVolatilityPercent: '45.6', maxDrawdownPercent: '12.3',
  returns: { changePercent1h: '0.5', changePercent24h: '1.98', changePercent7d: '-2.1', changePercent30d: '' },
  computeTime: '2026-01-02T00:00:01Z',
};

/** A fetch Response with a JSON body. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** A streaming body that yields the given chunks, then stays open or ends. */
export function chunkedBody(chunks: string[], keepOpen = false): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (!keepOpen) controller.close();
    },
  });
}
