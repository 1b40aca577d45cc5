// Newline-delimited JSON over a fetch body: the gateway writes one
// {"result": ...} object per line for a server stream and ends a failed
// stream with one {"error": {...}} line.
import { ApiError, apiErrorFrom } from './errors';
import { toPrice } from './normalize';
import type { components } from './generated/pricing';
import type { StreamEvent } from './types';

/** Splits a byte stream into text lines; a final unterminated line is yielded too. */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).replace(/\r$/, '');
        buffered = buffered.slice(newline + 1);
        if (line.trim() !== '') yield line;
      }
    }
    buffered += decoder.decode();
    if (buffered.trim() !== '') yield buffered;
  } finally {
    reader.releaseLock();
  }
}

type StreamLine = { result?: components['schemas']['v1StreamPricesResponse']; error?: unknown };

/**
 * Decodes one line of the price stream. Returns undefined for lines the app
 * does not understand (a newer server's event kinds); throws an ApiError for
 * an {"error": ...} line and for text that is not JSON.
 */
export function parsePriceStreamLine(line: string): StreamEvent | undefined {
  let decoded: StreamLine;
  try {
    decoded = JSON.parse(line) as StreamLine;
  } catch {
    throw new ApiError(502, -1, 'The price stream sent malformed data.');
  }
  if (decoded.error !== undefined) {
    // The HTTP status stays 200 once a stream started; take it from the code.
    const status = statusOfCode((decoded.error as { code?: number }).code);
    throw apiErrorFrom(status, decoded.error);
  }
  const result = decoded.result;
  if (result?.price) return { kind: 'price', price: toPrice(result.price) };
  if (result?.heartbeat) return { kind: 'heartbeat', serverTime: result.heartbeat.serverTime ?? '' };
  return undefined;
}

function statusOfCode(code: number | undefined): number {
  switch (code) {
    case 3:
      return 400;
    case 5:
      return 404;
    case 8:
      return 429;
    case 16:
      return 401;
    case 14:
      return 503;
    default:
      return 500;
  }
}
