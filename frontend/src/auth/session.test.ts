import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccessGrant, UserApi } from '../api/client';
import { ApiError } from '../api/errors';
import type { User } from '../api/types';
import { SESSION_HINT_KEY, SessionManager, type SessionState } from './session';

const user: User = { id: 'u1', email: 'me@example.com', displayName: 'Me', createTime: '', updateTime: '' };

function memoryStorage() {
  const values = new Map<string, string>();
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    removeItem: (key: string) => void values.delete(key),
  };
}

function fakeApi(overrides: Partial<Record<keyof UserApi, unknown>> = {}) {
  let issued = 0;
  const api = {
    login: vi.fn(async (): Promise<AccessGrant> => ({ accessToken: 'login-token', expiresIn: 900 })),
    refresh: vi.fn(async (): Promise<AccessGrant> => ({ accessToken: `refreshed-${++issued}`, expiresIn: 900 })),
    logout: vi.fn(async () => undefined),
    register: vi.fn(async () => user),
    getMe: vi.fn(async () => user),
    ...overrides,
  };
  return api as typeof api & UserApi;
}

describe('SessionManager', () => {
  let now = 1_000_000;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_000_000;
  });
  afterEach(() => vi.useRealTimers());

  const make = (api: UserApi, storage = memoryStorage()) =>
    new SessionManager(api, { refreshLeadSeconds: 60, now: () => now, storage });

  it('signs in, remembers a session hint and exposes the user', async () => {
    const storage = memoryStorage();
    const api = fakeApi();
    const session = make(api, storage);
    const states: SessionState[] = [];
    session.subscribe((state) => states.push(state));
    await session.signIn('me@example.com', 'pw');
    expect(api.getMe).toHaveBeenCalledWith('login-token');
    expect(session.current).toEqual({ status: 'signedIn', user });
    expect(storage.getItem(SESSION_HINT_KEY)).toBe('1');
    expect(states.at(-1)?.status).toBe('signedIn');
  });

  it('does not call refresh on start when no session was ever started', async () => {
    const api = fakeApi();
    const session = make(api);
    await session.restore();
    expect(api.refresh).not.toHaveBeenCalled();
    expect(session.current.status).toBe('signedOut');
  });

  it('restores a session after reload through the refresh cookie', async () => {
    const storage = memoryStorage();
    storage.setItem(SESSION_HINT_KEY, '1');
    const api = fakeApi();
    const session = make(api, storage);
    await session.restore();
    expect(api.refresh).toHaveBeenCalledTimes(1);
    expect(api.getMe).toHaveBeenCalledWith('refreshed-1');
    expect(session.current).toEqual({ status: 'signedIn', user });
  });

  it('forgets the hint when the cookie is no longer valid', async () => {
    const storage = memoryStorage();
    storage.setItem(SESSION_HINT_KEY, '1');
    const api = fakeApi({ refresh: vi.fn().mockRejectedValue(new ApiError(401, 16, 'expired')) });
    const session = make(api, storage);
    await session.restore();
    expect(session.current.status).toBe('signedOut');
    expect(storage.getItem(SESSION_HINT_KEY)).toBeNull();
  });

  it('keeps the hint and tells the user when the server is unreachable at start', async () => {
    const storage = memoryStorage();
    storage.setItem(SESSION_HINT_KEY, '1');
    const api = fakeApi({ refresh: vi.fn().mockRejectedValue(new ApiError(0, -1, 'down')) });
    const session = make(api, storage);
    await session.restore();
    expect(session.current).toMatchObject({ status: 'signedOut', notice: expect.stringContaining('unreachable') });
    expect(storage.getItem(SESSION_HINT_KEY)).toBe('1');
  });

  it('refreshes silently shortly before the access token expires', async () => {
    const api = fakeApi();
    const session = make(api);
    await session.signIn('me@example.com', 'pw');
    await vi.advanceTimersByTimeAsync(839_000);
    expect(api.refresh).not.toHaveBeenCalled();
    now += 840_000;
    await vi.advanceTimersByTimeAsync(1_000); // 900 s lifetime - 60 s lead
    expect(api.refresh).toHaveBeenCalledTimes(1);
    // and again for the new token
    now += 840_000;
    await vi.advanceTimersByTimeAsync(840_000);
    expect(api.refresh).toHaveBeenCalledTimes(2);
    session.dispose();
  });

  it('shares one refresh between concurrent callers', async () => {
    let resolve!: (grant: AccessGrant) => void;
    const api = fakeApi({ refresh: vi.fn(() => new Promise<AccessGrant>((r) => (resolve = r))) });
    const session = make(api);
    const first = session.refresh();
    const second = session.refresh();
    resolve({ accessToken: 'shared', expiresIn: 900 });
    await expect(Promise.all([first, second])).resolves.toEqual(['shared', 'shared']);
    expect(api.refresh).toHaveBeenCalledTimes(1);
  });

  it('serializes refreshes across tabs with Web Locks', async () => {
    const api = fakeApi();
    const request = vi.fn((_name: string, callback: () => Promise<AccessGrant>) => callback());
    const session = new SessionManager(api, {
      refreshLeadSeconds: 60,
      now: () => now,
      locks: { request } as unknown as LockManager,
    });
    await session.refresh();
    expect(request).toHaveBeenCalledWith('ct-refresh', expect.any(Function));
  });

  it('uses a fresh token for calls and refreshes when it is about to expire', async () => {
    const api = fakeApi();
    const session = make(api);
    await session.signIn('me@example.com', 'pw');
    const call = vi.fn(async (token: string) => token);
    await expect(session.withAccessToken(call)).resolves.toBe('login-token');
    now += 850_000; // inside the 60 s lead
    await expect(session.withAccessToken(call)).resolves.toBe('refreshed-1');
  });

  it('retries once with a new token when the server answers 401', async () => {
    const api = fakeApi();
    const session = make(api);
    await session.signIn('me@example.com', 'pw');
    const call = vi
      .fn()
      .mockRejectedValueOnce(new ApiError(401, 16, 'token revoked'))
      .mockResolvedValueOnce('ok');
    await expect(session.withAccessToken(call)).resolves.toBe('ok');
    expect(call).toHaveBeenLastCalledWith('refreshed-1');
  });

  it('ends the session when a refresh is refused', async () => {
    const storage = memoryStorage();
    const api = fakeApi({ refresh: vi.fn().mockRejectedValue(new ApiError(401, 16, 'expired')) });
    const session = make(api, storage);
    await session.signIn('me@example.com', 'pw');
    await expect(session.refresh()).rejects.toBeInstanceOf(ApiError);
    expect(session.current).toMatchObject({ status: 'signedOut', notice: expect.stringContaining('expired') });
    expect(storage.getItem(SESSION_HINT_KEY)).toBeNull();
  });

  it('retries a refresh that failed for a transient reason', async () => {
    const refresh = vi
      .fn()
      .mockRejectedValueOnce(new ApiError(503, 14, 'unavailable'))
      .mockResolvedValue({ accessToken: 'later', expiresIn: 900 });
    const api = fakeApi({ refresh });
    const session = make(api);
    await session.signIn('me@example.com', 'pw');
    await expect(session.refresh()).rejects.toBeInstanceOf(ApiError);
    expect(session.current.status).toBe('signedIn');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(refresh).toHaveBeenCalledTimes(2);
    session.dispose();
  });

  it('signs out even when the server cannot be reached', async () => {
    const storage = memoryStorage();
    const api = fakeApi({ logout: vi.fn().mockRejectedValue(new ApiError(0, -1, 'down')) });
    const session = make(api, storage);
    await session.signIn('me@example.com', 'pw');
    await session.signOut();
    expect(session.current.status).toBe('signedOut');
    expect(storage.getItem(SESSION_HINT_KEY)).toBeNull();
    await expect(session.withAccessToken(async (t) => t)).rejects.toBeDefined();
  });

  it('signs up and then signs in', async () => {
    const api = fakeApi();
    const session = make(api);
    await session.signUp('new@example.com', 'pw', 'New');
    expect(api.register).toHaveBeenCalledWith('new@example.com', 'pw', 'New');
    expect(api.login).toHaveBeenCalledWith('new@example.com', 'pw');
    expect(session.current.status).toBe('signedIn');
  });
});
