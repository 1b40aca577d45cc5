import { describe, expect, it, vi } from 'vitest';
import { PricingApi, UserApi } from './client';
import { ApiError } from './errors';
import { analysisJson, assetJson, btcPriceJson, candleJson, jsonResponse } from '../test/fixtures';

type Call = { url: string; method: string; headers: Headers; body: string | null };

function recordingFetch(responses: Response[]) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    calls.push({
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' ? null : await request.text(),
    });
    const next = responses.shift();
    if (!next) throw new TypeError('network down');
    return next;
  });
  return { fetchMock: fetchMock as unknown as typeof fetch, calls };
}

const base = 'http://app.test';

describe('UserApi', () => {
  it('logs in with the cookie opt-in header and returns only the access grant', async () => {
    const { fetchMock, calls } = recordingFetch([
      jsonResponse({ accessToken: 'a.b.c', expiresIn: 900, tokenType: 'Bearer', refreshExpiresIn: 2592000 }),
    ]);
    const api = new UserApi({ baseUrl: base, fetch: fetchMock });
    await expect(api.login('me@example.com', 'correct horse 1')).resolves.toEqual({ accessToken: 'a.b.c', expiresIn: 900 });
    expect(calls[0]!.url).toBe(`${base}/user-service/api/v1/auth/login`);
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.headers.get('X-Refresh-Cookie')).toBe('1');
    expect(JSON.parse(calls[0]!.body!)).toEqual({ email: 'me@example.com', password: 'correct horse 1' });
  });

  it('refreshes and logs out with an empty body so the gateway uses the cookie', async () => {
    const { fetchMock, calls } = recordingFetch([
      jsonResponse({ accessToken: 'd.e.f', expiresIn: 600 }),
      jsonResponse({}),
    ]);
    const api = new UserApi({ baseUrl: base, fetch: fetchMock });
    await expect(api.refresh()).resolves.toEqual({ accessToken: 'd.e.f', expiresIn: 600 });
    await api.logout();
    expect(calls.map((c) => c.url)).toEqual([
      `${base}/user-service/api/v1/auth/refresh`,
      `${base}/user-service/api/v1/auth/logout`,
    ]);
    for (const call of calls) {
      expect(JSON.parse(call.body!)).toEqual({});
      expect(call.headers.get('X-Refresh-Cookie')).toBe('1');
    }
  });

  it('sends the bearer token and normalizes the user', async () => {
    const { fetchMock, calls } = recordingFetch([
      jsonResponse({ id: 'u1', email: 'me@example.com', displayName: 'Me', createTime: '2026-01-01T00:00:00Z' }),
    ]);
    const api = new UserApi({ baseUrl: base, fetch: fetchMock });
    const user = await api.getMe('tok');
    expect(calls[0]!.headers.get('Authorization')).toBe('Bearer tok');
    expect(user).toEqual({ id: 'u1', email: 'me@example.com', displayName: 'Me', createTime: '2026-01-01T00:00:00Z', updateTime: '' });
  });

  it('turns gateway error bodies into ApiError with status, code and message', async () => {
    const { fetchMock } = recordingFetch([
      jsonResponse({ code: 16, message: 'invalid email or password', details: [] }, 401),
    ]);
    const api = new UserApi({ baseUrl: base, fetch: fetchMock });
    const error = await api.login('me@example.com', 'wrong').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 16, message: 'invalid email or password' });
    expect((error as ApiError).isUnauthenticated).toBe(true);
  });

  it('reports a network failure as status 0', async () => {
    const { fetchMock } = recordingFetch([]);
    const error = await new UserApi({ baseUrl: base, fetch: fetchMock }).refresh().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, isNetwork: true, isTransient: true });
  });

  it('rejects a token response without an access token', async () => {
    const { fetchMock } = recordingFetch([jsonResponse({ tokenType: 'Bearer' })]);
    await expect(new UserApi({ baseUrl: base, fetch: fetchMock }).refresh()).rejects.toBeInstanceOf(ApiError);
  });
});

describe('PricingApi', () => {
  it('lists every asset across pages', async () => {
    const { fetchMock, calls } = recordingFetch([
      jsonResponse({ assets: [assetJson('BTC', 'Bitcoin', 1)], nextPageToken: 'p2' }),
      jsonResponse({ assets: [assetJson('ETH', 'Ethereum', 2)], nextPageToken: '' }),
    ]);
    const assets = await new PricingApi({ baseUrl: base, fetch: fetchMock }).listAssets();
    expect(assets.map((a) => a.symbol)).toEqual(['BTC', 'ETH']);
    expect(new URL(calls[0]!.url).searchParams.get('pageSize')).toBe('500');
    expect(new URL(calls[1]!.url).searchParams.get('pageToken')).toBe('p2');
    expect(new URL(calls[0]!.url).pathname).toBe('/pricing-service/api/v1/assets');
  });

  it('asks for prices with repeated symbols and the quote', async () => {
    const { fetchMock, calls } = recordingFetch([jsonResponse({ prices: [btcPriceJson] })]);
    const prices = await new PricingApi({ baseUrl: base, fetch: fetchMock }).getPrices('EUR', ['BTC', 'ETH']);
    const url = new URL(calls[0]!.url);
    expect(url.searchParams.getAll('symbols')).toEqual(['BTC', 'ETH']);
    expect(url.searchParams.get('quote')).toBe('EUR');
    expect(prices[0]).toEqual(btcPriceJson);
  });

  it('gets candles and analysis for a symbol and interval', async () => {
    const { fetchMock, calls } = recordingFetch([
      jsonResponse({ symbol: 'BTC', quote: 'USD', pair: 'BTCUSDT', derivation: 'PRICE_DERIVATION_STABLECOIN',
        interval: 'INTERVAL_1H', candles: [candleJson('2026-01-01T00:00:00Z', '1', '2', '0.5', '1.5')] }),
      jsonResponse(analysisJson),
    ]);
    const api = new PricingApi({ baseUrl: base, fetch: fetchMock });
    const series = await api.getCandles('BTC', 'INTERVAL_1H', 500);
    const analysis = await api.getAnalysis('BTC', 'INTERVAL_1H');
    expect(new URL(calls[0]!.url).pathname).toBe('/pricing-service/api/v1/assets/BTC/candles');
    expect(new URL(calls[0]!.url).searchParams.get('interval')).toBe('INTERVAL_1H');
    expect(new URL(calls[0]!.url).searchParams.get('limit')).toBe('500');
    expect(series.candles[0]!.close).toBe('1.5');
    expect(analysis.rsi.value).toBe('61.23');
    expect(analysis.returns.changePercent30d).toBe('');
  });

  it('fills defaults for a summary that omits lists', async () => {
    const { fetchMock } = recordingFetch([jsonResponse({ quote: 'USD', assetCount: 3 })]);
    const summary = await new PricingApi({ baseUrl: base, fetch: fetchMock }).getMarketSummary('USD', 5);
    expect(summary.topGainers).toEqual([]);
    expect(summary.breadth.advancingCount).toBe(0);
    expect(summary.assetCount).toBe(3);
  });

  it('builds the stream URL', () => {
    const api = new PricingApi({ baseUrl: '' });
    expect(api.streamUrl('USD', ['BTC'])).toBe('/pricing-service/api/v1/prices/stream?quote=USD&symbols=BTC');
  });
});
