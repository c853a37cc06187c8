import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { IngestInputError, QueueFullError } from './errors.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** The request is larger than the configured cap (HTTP 413). */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Content-Encoding the server cannot decode (HTTP 415). */
export class UnsupportedEncodingError extends Error {
  override readonly name = 'UnsupportedEncodingError';
}

/**
 * Bytes of request bodies held in memory across all requests at once. Past the cap new bytes
 * are refused (the request gets a 429), so many concurrent large requests cannot exhaust memory.
 */
export class BodyBudget {
  private used = 0;
  constructor(
    readonly maxBytes: number,
    private readonly retryAfterSeconds: number,
  ) {}

  take(n: number): void {
    if (this.used + n > this.maxBytes) throw new QueueFullError(this.retryAfterSeconds);
    this.used += n;
  }

  give(n: number): void {
    this.used -= n;
  }
}

/**
 * A body's chunks as they arrive, under the cap and the budget: `add` refuses the chunk that
 * passes `maxBytes` (413) or the budget (429) before keeping it. Bytes kept are taken from
 * `budget`; the caller gives back `held.bytes` when done with the request.
 */
class BodyChunks {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly budget: BodyBudget | undefined,
    private readonly held: { bytes: number },
  ) {}

  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.size > this.maxBytes) {
      throw new BodyTooLargeError(`request body is larger than the ${this.maxBytes}-byte limit`);
    }
    this.budget?.take(chunk.byteLength);
    this.held.bytes += chunk.byteLength;
    this.chunks.push(chunk);
  }

  body(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/**
 * Reads a request body up to `maxBytes`, stopping as soon as the cap is passed rather than
 * buffering whatever the client sends (BodyChunks' rules).
 */
export async function readBody(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  budget?: BodyBudget,
  held: { bytes: number } = { bytes: 0 },
): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const body = new BodyChunks(maxBytes, budget, held);
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    try {
      body.add(value);
    } catch (err) {
      if (err instanceof BodyTooLargeError) await reader.cancel().catch(() => {});
      throw err;
    }
  }
  return body.body();
}

/**
 * readBody's rules for a request's body, read straight from Node's request: hono's web Request
 * and its ReadableStream cost ~5% of the main thread's CPU at 512-span batches.
 */
export function readIncoming(
  incoming: IncomingMessage,
  maxBytes: number,
  budget?: BodyBudget,
  held: { bytes: number } = { bytes: 0 },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = new BodyChunks(maxBytes, budget, held);
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', settle);
      incoming.off('close', onClose);
      if (err === undefined) resolve(body.body());
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      try {
        body.add(chunk);
      } catch (err) {
        // Nothing more is kept: the rest is read and dropped, so the answer reaches the client.
        settle(err);
        incoming.resume();
      }
    };
    const onEnd = () => settle();
    const onClose = () => settle(incoming.readableEnded ? undefined : new Error('request aborted'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', settle);
    incoming.on('close', onClose);
  });
}

/** gzip/deflate/identity; the inflated size is capped too, so a zip bomb is a 413, not an OOM. */
export async function decodeContent(
  body: Buffer,
  encoding: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  if (enc !== 'gzip' && enc !== 'deflate' && enc !== 'x-gzip') {
    throw new UnsupportedEncodingError(
      `Content-Encoding "${enc.slice(0, 40)}" is not supported; use gzip, deflate or none`,
    );
  }
  try {
    const inflate = enc === 'deflate' ? inflateAsync : gunzipAsync;
    return await inflate(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyTooLargeError(`decompressed body is larger than the ${maxBytes}-byte limit`);
    }
    throw new IngestInputError(
      `body is not valid ${enc} data: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
