// Typed REST client of the gateway routes, built with openapi-fetch on the
// types generated from the gateway's OpenAPI documents (scripts/gen-api.mjs).
// Every method returns complete domain objects or throws an ApiError.
import createClient, { type Client } from 'openapi-fetch';
import type { paths as PricingPaths } from './generated/pricing';
import type { paths as UserPaths } from './generated/user';
import { ApiError, apiErrorFrom } from './errors';
import {
  toAnalysis,
  toAsset,
  toCandleSeries,
  toMarketSummary,
  toPrice,
  toUser,
} from './normalize';
import type { Analysis, Asset, CandleSeries, Interval, MarketSummary, Price, User } from './types';

/** Header by which the SPA asks the gateway to keep the refresh token in an HttpOnly cookie. */
export const REFRESH_COOKIE_HEADER = { 'X-Refresh-Cookie': '1' } as const;

/** The parts of a token response the SPA uses (the refresh token stays in the cookie). */
export interface AccessGrant {
  accessToken: string;
  /** Lifetime of the access token in seconds. */
  expiresIn: number;
}

type FetchResult<T> = { data?: T; error?: unknown; response: Response };

/** Runs an openapi-fetch call and turns any failure into an ApiError. */
async function call<T>(request: () => Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await request();
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, -1, 'Cannot reach the server. Check your connection.');
  }
  if (!result.response.ok || result.data === undefined) {
    throw apiErrorFrom(result.response.status, result.error);
  }
  return result.data;
}

const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });

export interface ClientOptions {
  /** Origin of the API; "" for the page's own. */
  baseUrl: string;
  /** Injected in tests. */
  fetch?: typeof fetch;
}

export class UserApi {
  private readonly client: Client<UserPaths>;

  constructor({ baseUrl, fetch: fetchImpl }: ClientOptions) {
    this.client = createClient<UserPaths>({
      baseUrl: `${baseUrl}/user-service`,
      credentials: 'same-origin',
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
  }

  async register(email: string, password: string, displayName: string): Promise<User> {
    const data = await call(() =>
      this.client.POST('/api/v1/auth/register', { body: { email, password, displayName } }),
    );
    return toUser(data.user ?? {});
  }

  async login(email: string, password: string): Promise<AccessGrant> {
    const data = await call(() =>
      this.client.POST('/api/v1/auth/login', { body: { email, password }, headers: REFRESH_COOKIE_HEADER }),
    );
    return toGrant(data);
  }

  /** Exchanges the refresh cookie for a new access token (and a rotated cookie). */
  async refresh(): Promise<AccessGrant> {
    const data = await call(() =>
      this.client.POST('/api/v1/auth/refresh', { body: {}, headers: REFRESH_COOKIE_HEADER }),
    );
    return toGrant(data);
  }

  /** Revokes the refresh token of the cookie; the gateway clears the cookie. */
  async logout(): Promise<void> {
    await call(() => this.client.POST('/api/v1/auth/logout', { body: {}, headers: REFRESH_COOKIE_HEADER }));
  }

  async getMe(accessToken: string): Promise<User> {
    return toUser(await call(() => this.client.GET('/api/v1/users/me', { headers: bearer(accessToken) })));
  }

  async updateDisplayName(accessToken: string, displayName: string): Promise<User> {
    const data = await call(() =>
      this.client.PATCH('/api/v1/users/me', { body: { displayName }, headers: bearer(accessToken) }),
    );
    return toUser(data);
  }

  async changePassword(accessToken: string, currentPassword: string, newPassword: string): Promise<void> {
    await call(() =>
      this.client.POST('/api/v1/users/me/password', {
        body: { currentPassword, newPassword },
        headers: bearer(accessToken),
      }),
    );
  }
}

function toGrant(data: { accessToken?: string; expiresIn?: number }): AccessGrant {
  if (!data.accessToken || !data.expiresIn || data.expiresIn <= 0) {
    throw new ApiError(502, -1, 'The sign-in service sent an incomplete answer.');
  }
  return { accessToken: data.accessToken, expiresIn: data.expiresIn };
}

export class PricingApi {
  private readonly client: Client<PricingPaths>;
  /** Base of the pricing routes, for the stream (read with fetch directly). */
  readonly base: string;

  constructor({ baseUrl, fetch: fetchImpl }: ClientOptions) {
    this.base = `${baseUrl}/pricing-service`;
    this.client = createClient<PricingPaths>({
      baseUrl: this.base,
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
  }

  /** Every tracked asset, following page tokens. */
  async listAssets(signal?: AbortSignal): Promise<Asset[]> {
    const assets: Asset[] = [];
    let pageToken = '';
    // Bounded so a misbehaving server cannot loop the client forever.
    for (let page = 0; page < 20; page++) {
      const data = await call(() =>
        this.client.GET('/api/v1/assets', {
          params: { query: { pageSize: 500, ...(pageToken ? { pageToken } : {}) } },
          signal,
        }),
      );
      assets.push(...(data.assets ?? []).map(toAsset));
      pageToken = data.nextPageToken ?? '';
      if (!pageToken) break;
    }
    return assets;
  }

  async getPrices(quote: string, symbols: string[] = [], signal?: AbortSignal): Promise<Price[]> {
    const data = await call(() =>
      this.client.GET('/api/v1/prices', {
        params: { query: { quote, ...(symbols.length ? { symbols } : {}) } },
        signal,
      }),
    );
    return (data.prices ?? []).map(toPrice);
  }

  async getCandles(symbol: string, interval: Interval, limit: number, signal?: AbortSignal): Promise<CandleSeries> {
    const data = await call(() =>
      this.client.GET('/api/v1/assets/{symbol}/candles', {
        params: { path: { symbol }, query: { interval, limit } },
        signal,
      }),
    );
    return toCandleSeries(data, interval);
  }

  async getAnalysis(symbol: string, interval: Interval, signal?: AbortSignal): Promise<Analysis> {
    const data = await call(() =>
      this.client.GET('/api/v1/assets/{symbol}/analysis', {
        params: { path: { symbol }, query: { interval } },
        signal,
      }),
    );
    return toAnalysis(data, interval);
  }

  async getMarketSummary(quote: string, topCount: number, signal?: AbortSignal): Promise<MarketSummary> {
    const data = await call(() =>
      this.client.GET('/api/v1/market/summary', { params: { query: { quote, topCount } }, signal }),
    );
    return toMarketSummary(data);
  }

  /** URL of the NDJSON price stream. */
  streamUrl(quote: string, symbols: string[] = []): string {
    const query = new URLSearchParams({ quote });
    for (const symbol of symbols) query.append('symbols', symbol);
    return `${this.base}/api/v1/prices/stream?${query.toString()}`;
  }
}
