// A live price feed over the gateway's NDJSON stream (fetch + ReadableStream)
// that reconnects by itself: exponential backoff with jitter after a failure,
// and a watchdog that drops a connection on which nothing (not even the 15 s
// heartbeat) arrived for idleTimeoutMs, as a silently dead proxy would cause.
import { ApiError, apiErrorFrom } from './errors';
import { parsePriceStreamLine, readLines } from './ndjson';
import type { StreamEvent } from './types';

/**
 * connecting: first attempt in progress; live: receiving; reconnecting:
 * waiting to retry or retrying after a failure; failed: refused for a reason
 * retrying cannot fix (bad request), until reconnectNow(); stopped: stop().
 */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'failed' | 'stopped';

export interface StreamStatusDetail {
  error?: ApiError;
  /** Milliseconds until the next attempt while reconnecting. */
  retryInMs?: number;
}

export interface PriceStreamOptions {
  url: string;
  onEvent: (event: StreamEvent) => void;
  onStatus?: (status: StreamStatus, detail: StreamStatusDetail) => void;
  fetch?: typeof fetch;
  /** Drop and reconnect when no line arrived for this long (default 45 s: three heartbeats). */
  idleTimeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Jitter source, [0, 1). */
  random?: () => number;
}

export class PriceStream {
  private readonly options: Required<Omit<PriceStreamOptions, 'onStatus' | 'fetch'>> &
    Pick<PriceStreamOptions, 'onStatus' | 'fetch'>;
  private running = false;
  private attempt = 0;
  private connection?: AbortController;
  private wakeUp?: () => void;
  private status: StreamStatus = 'stopped';

  constructor(options: PriceStreamOptions) {
    this.options = {
      idleTimeoutMs: 45_000,
      initialBackoffMs: 1_000,
      maxBackoffMs: 30_000,
      random: Math.random,
      ...options,
    };
  }

  get currentStatus(): StreamStatus {
    return this.status;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    void this.run();
  }

  stop(): void {
    this.running = false;
    this.connection?.abort();
    this.wakeUp?.();
    this.setStatus('stopped', {});
  }

  /** Reconnects at once (retry button, browser back online). */
  reconnectNow(): void {
    if (!this.running) {
      this.start();
      return;
    }
    this.attempt = 0;
    this.connection?.abort();
    this.wakeUp?.();
  }

  /** Backoff before attempt number `attempt` (1-based), with 50-100 % jitter. */
  backoffMs(attempt: number): number {
    const { initialBackoffMs, maxBackoffMs, random } = this.options;
    const ceiling = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(ceiling * (0.5 + random() * 0.5));
  }

  private setStatus(status: StreamStatus, detail: StreamStatusDetail): void {
    this.status = status;
    this.options.onStatus?.(status, detail);
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting', {});
      let failure: ApiError | undefined;
      try {
        await this.connectOnce();
      } catch (error) {
        failure =
          error instanceof ApiError
            ? error
            : new ApiError(0, -1, 'The live price connection was interrupted.');
      }
      if (!this.running) return;
      if (failure && !failure.isTransient && !failure.isNetwork) {
        // A 400/404 will not heal by retrying; wait for reconnectNow().
        this.setStatus('failed', { error: failure });
        await this.sleep(Number.POSITIVE_INFINITY);
        continue;
      }
      this.attempt += 1;
      const retryInMs = this.backoffMs(this.attempt);
      this.setStatus('reconnecting', {
        error: failure ?? new ApiError(0, -1, 'The live price connection closed.'),
        retryInMs,
      });
      await this.sleep(retryInMs);
    }
  }

  private async connectOnce(): Promise<void> {
    const connection = new AbortController();
    this.connection = connection;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const feedWatchdog = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => connection.abort(), this.options.idleTimeoutMs);
    };
    feedWatchdog();
    try {
      const fetchImpl = this.options.fetch ?? fetch;
      const response = await fetchImpl(this.options.url, {
        signal: connection.signal,
        headers: { Accept: 'application/x-ndjson' },
        cache: 'no-store',
      });
      if (!response.ok) {
        throw apiErrorFrom(response.status, await errorBody(response));
      }
      if (!response.body) throw new ApiError(502, -1, 'The price stream has no body.');
      for await (const line of readLines(response.body)) {
        feedWatchdog();
        const event = parsePriceStreamLine(line);
        if (!event) continue;
        if (this.status !== 'live') {
          this.attempt = 0;
          this.setStatus('live', {});
        }
        this.options.onEvent(event);
      }
    } finally {
      clearTimeout(watchdog);
      if (this.connection === connection) this.connection = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      this.wakeUp = done;
    });
  }
}

/** The {"error": ...} object of a failed stream response, if any. */
async function errorBody(response: Response): Promise<unknown> {
  try {
    const text = await response.text();
    const firstLine = text.split('\n').find((line) => line.trim() !== '') ?? '';
    const parsed = JSON.parse(firstLine) as { error?: unknown };
    return parsed.error ?? parsed;
  } catch {
    return undefined;
  }
}
