// The signed-in session: who the user is and a short-lived access token kept
// in memory only. The refresh token never reaches script: the gateway keeps it
// in an HttpOnly cookie (X-Refresh-Cookie), so this class just asks for a new
// access token shortly before the current one expires, and once at start-up to
// pick up a session that survived a reload.
import { ApiError } from '../api/errors';
import type { AccessGrant, UserApi } from '../api/client';
import type { User } from '../api/types';

export type SessionState =
  | { status: 'restoring' }
  | { status: 'signedOut'; notice?: string }
  | { status: 'signedIn'; user: User };

/** localStorage key that only records "a refresh cookie probably exists" (no secret). */
export const SESSION_HINT_KEY = 'ct.session';
const REFRESH_LOCK = 'ct-refresh';
/** Retry delay of a refresh that failed for a transient reason. */
const TRANSIENT_RETRY_MS = 15_000;
/** Never schedule refreshes closer than this. */
const MIN_REFRESH_DELAY_MS = 5_000;

export interface SessionOptions {
  refreshLeadSeconds: number;
  now?: () => number;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /** Web Locks, so that tabs sharing the cookie do not rotate it at once. */
  locks?: Pick<LockManager, 'request'>;
}

type Listener = (state: SessionState) => void;

export class SessionManager {
  private state: SessionState = { status: 'restoring' };
  private readonly listeners = new Set<Listener>();
  private accessToken?: string;
  private expiresAt = 0;
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private inFlightRefresh?: Promise<string>;
  private readonly now: () => number;
  private readonly storage?: SessionOptions['storage'];
  private readonly locks?: SessionOptions['locks'];
  private readonly leadMs: number;

  constructor(
    private readonly api: UserApi,
    options: SessionOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.storage = options.storage;
    this.locks = options.locks;
    this.leadMs = options.refreshLeadSeconds * 1000;
  }

  get current(): SessionState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Picks up the session of a previous page load, if the cookie still holds one. */
  async restore(): Promise<void> {
    if (this.storage?.getItem(SESSION_HINT_KEY) !== '1') {
      this.setState({ status: 'signedOut' });
      return;
    }
    try {
      await this.refresh();
      const user = await this.withAccessToken((token) => this.api.getMe(token));
      this.setState({ status: 'signedIn', user });
    } catch (error) {
      if (this.state.status === 'signedIn') return;
      this.clearToken();
      const transient = error instanceof ApiError && error.isTransient;
      if (!transient) this.storage?.removeItem(SESSION_HINT_KEY);
      this.setState({
        status: 'signedOut',
        notice: transient ? 'Could not restore your session: the server is unreachable.' : undefined,
      });
    }
  }

  async signIn(email: string, password: string): Promise<User> {
    const grant = await this.api.login(email, password);
    this.acceptGrant(grant);
    this.storage?.setItem(SESSION_HINT_KEY, '1');
    const user = await this.api.getMe(grant.accessToken);
    this.setState({ status: 'signedIn', user });
    return user;
  }

  async signUp(email: string, password: string, displayName: string): Promise<User> {
    await this.api.register(email, password, displayName);
    return this.signIn(email, password);
  }

  async signOut(): Promise<void> {
    try {
      await this.api.logout();
    } catch {
      // The cookie is cleared by the gateway even when revocation failed;
      // locally the session ends regardless.
    }
    this.endSession();
  }

  /** Replaces the user shown after a profile change. */
  updateUser(user: User): void {
    if (this.state.status === 'signedIn') this.setState({ status: 'signedIn', user });
  }

  /**
   * Runs an authenticated call with a fresh access token; when the server
   * still answers 401 (revoked, clock skew) it refreshes once and retries.
   */
  async withAccessToken<T>(request: (accessToken: string) => Promise<T>): Promise<T> {
    const token = await this.validToken();
    try {
      return await request(token);
    } catch (error) {
      if (!(error instanceof ApiError) || !error.isUnauthenticated) throw error;
      return request(await this.refresh());
    }
  }

  /** Re-checks expiry, e.g. when a tab wakes up after its timers were throttled. */
  refreshIfDue(): void {
    if (this.accessToken && this.expiresAt - this.now() <= this.leadMs) {
      void this.refresh().catch(() => undefined);
    }
  }

  /** Stops timers (tests, unmount). */
  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.listeners.clear();
  }

  private async validToken(): Promise<string> {
    if (this.state.status === 'signedOut') {
      throw new ApiError(401, 16, 'You are signed out. Please sign in.');
    }
    if (this.accessToken && this.expiresAt - this.now() > this.leadMs) return this.accessToken;
    return this.refresh();
  }

  /** Single-flight refresh: concurrent callers share one request. */
  refresh(): Promise<string> {
    this.inFlightRefresh ??= this.refreshOnce().finally(() => {
      this.inFlightRefresh = undefined;
    });
    return this.inFlightRefresh;
  }

  private async refreshOnce(): Promise<string> {
    let grant: AccessGrant;
    try {
      grant = this.locks
        ? await this.locks.request(REFRESH_LOCK, () => this.api.refresh())
        : await this.api.refresh();
    } catch (error) {
      if (error instanceof ApiError && error.isTransient) {
        this.scheduleRefresh(TRANSIENT_RETRY_MS);
      } else if (this.state.status === 'signedIn') {
        this.endSession('Your session has expired. Please sign in again.');
      }
      throw error;
    }
    this.acceptGrant(grant);
    return grant.accessToken;
  }

  private acceptGrant(grant: AccessGrant): void {
    this.accessToken = grant.accessToken;
    this.expiresAt = this.now() + grant.expiresIn * 1000;
    this.scheduleRefresh(grant.expiresIn * 1000 - this.leadMs);
  }

  private scheduleRefresh(delayMs: number): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(
      () => void this.refresh().catch(() => undefined),
      Math.max(MIN_REFRESH_DELAY_MS, delayMs),
    );
  }

  private clearToken(): void {
    clearTimeout(this.refreshTimer);
    this.accessToken = undefined;
    this.expiresAt = 0;
  }

  private endSession(notice?: string): void {
    this.clearToken();
    this.storage?.removeItem(SESSION_HINT_KEY);
    this.setState({ status: 'signedOut', notice });
  }

  private setState(state: SessionState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
