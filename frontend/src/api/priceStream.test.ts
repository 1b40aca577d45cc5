import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parsePriceStreamLine, readLines } from './ndjson';
import { PriceStream, type StreamStatus } from './priceStream';
import { ApiError } from './errors';
import type { StreamEvent } from './types';
import { btcPriceJson, chunkedBody, ethPriceJson } from '../test/fixtures';

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

describe('readLines', () => {
  it('reassembles lines split across chunks and skips blank ones', async () => {
    const lines: string[] = [];
    for await (const l of readLines(chunkedBody(['{"a":', '1}\n\n{"b"', ':2}\r\n{"c":3}']))) lines.push(l);
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('decodes multi-byte characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('{"name":"€uro"}\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 10));
        controller.enqueue(bytes.slice(10));
        controller.close();
      },
    });
    const lines: string[] = [];
    for await (const l of readLines(body)) lines.push(l);
    expect(JSON.parse(lines[0]!)).toEqual({ name: '€uro' });
  });
});

describe('parsePriceStreamLine', () => {
  it('decodes price and heartbeat results', () => {
    expect(parsePriceStreamLine(JSON.stringify({ result: { price: btcPriceJson } }))).toEqual({
      kind: 'price',
      price: btcPriceJson,
    });
    expect(parsePriceStreamLine('{"result":{"heartbeat":{"serverTime":"2026-01-02T03:04:05Z"}}}')).toEqual({
      kind: 'heartbeat',
      serverTime: '2026-01-02T03:04:05Z',
    });
  });

  it('ignores unknown event kinds', () => {
    expect(parsePriceStreamLine('{"result":{"somethingNew":{}}}')).toBeUndefined();
  });

  it('throws the error of a final error line with an HTTP-like status', () => {
    const error = (() => {
      try {
        parsePriceStreamLine('{"error":{"code":14,"message":"service unavailable, try again later","details":[]}}');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 14, message: 'service unavailable, try again later' });
  });

  it('rejects text that is not JSON', () => {
    expect(() => parsePriceStreamLine('<html>')).toThrow(ApiError);
  });
});

function streamResponse(chunks: string[], keepOpen = false): Response {
  return new Response(chunkedBody(chunks, keepOpen), {
    status: 200,
    headers: { 'Content-Type': 'application/x-ndjson' },
  });
}

describe('PriceStream', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function collect(fetchImpl: typeof fetch, extra: Partial<ConstructorParameters<typeof PriceStream>[0]> = {}) {
    const events: StreamEvent[] = [];
    const statuses: StreamStatus[] = [];
    const stream = new PriceStream({
      url: '/pricing-service/api/v1/prices/stream?quote=USD',
      fetch: fetchImpl,
      onEvent: (event) => events.push(event),
      onStatus: (status) => statuses.push(status),
      random: () => 0.999,
      ...extra,
    });
    return { stream, events, statuses };
  }

  it('delivers events and reconnects with backoff after the stream ends', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(streamResponse([line({ result: { price: btcPriceJson } })]))
      .mockResolvedValueOnce(streamResponse([line({ result: { price: ethPriceJson } })], true));
    const { stream, events, statuses } = collect(fetchMock as unknown as typeof fetch);
    stream.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(events.map((e) => e.kind === 'price' && e.price.symbol)).toEqual(['BTC']);
    expect(statuses).toEqual(['connecting', 'live', 'reconnecting']);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000); // first backoff: about 1 s
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(events.map((e) => e.kind === 'price' && e.price.symbol)).toEqual(['BTC', 'ETH']);
    expect(stream.currentStatus).toBe('live');
    stream.stop();
    expect(stream.currentStatus).toBe('stopped');
  });

  it('backs off exponentially up to the maximum while the server is down', async () => {
    const fetchMock = vi.fn().mockRejectedValue(new TypeError('connection refused'));
    const { stream } = collect(fetchMock as unknown as typeof fetch, { maxBackoffMs: 4000, random: () => 0.5 });
    // 75 % of 1 s, 2 s, then the 4 s ceiling.
    expect([1, 2, 3, 4, 5].map((n) => stream.backoffMs(n))).toEqual([750, 1500, 3000, 3000, 3000]);
    stream.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(749);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1500);
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(stream.currentStatus).toBe('reconnecting');
    stream.stop();
  });

  it('drops a silent connection after the idle timeout and reconnects', async () => {
    const fetchMock = vi.fn().mockImplementation((_url: string, init: RequestInit) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(line({ result: { heartbeat: { serverTime: 'x' } } })));
          init.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    });
    const { stream, statuses } = collect(fetchMock as unknown as typeof fetch, { idleTimeoutMs: 5000 });
    stream.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(stream.currentStatus).toBe('live');
    await vi.advanceTimersByTimeAsync(5000);
    expect(statuses).toContain('reconnecting');
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    stream.stop();
  });

  it('stops retrying on a client error until reconnectNow', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(
        new Response('{"error":{"code":3,"message":"quote: unknown currency \\"XYZ\\"","details":[]}}\n', { status: 400 }),
      )
      .mockResolvedValue(streamResponse([line({ result: { price: btcPriceJson } })], true));
    const details: unknown[] = [];
    const { stream } = collect(fetchMock as unknown as typeof fetch, {
      onStatus: (status, detail) => details.push([status, detail.error?.message]),
    });
    stream.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(details).toContainEqual(['failed', 'quote: unknown currency "XYZ"']);
    stream.reconnectNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(stream.currentStatus).toBe('live');
    stream.stop();
  });

  it('treats an error line mid-stream as transient and reconnects', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(
        streamResponse([line({ result: { price: btcPriceJson } }), line({ error: { code: 14, message: 'gone' } })]),
      )
      .mockResolvedValue(streamResponse([], true));
    const { stream, statuses } = collect(fetchMock as unknown as typeof fetch);
    stream.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(statuses).toEqual(['connecting', 'live', 'reconnecting']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    stream.stop();
  });
});
