import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A line longer than this is skipped and counted: one runaway line must not exhaust memory. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface LineStats {
  /** Bytes read from the source (compressed bytes for .gz), for progress. */
  bytesRead: number;
  /** Lines skipped for being longer than MAX_LINE_BYTES. */
  oversized: number;
}

export interface Source {
  /** What to call it in messages: the path, or `stdin`. */
  name: string;
  /** Size on disk, when known (files), for progress. */
  size?: number;
  /** Last modification (files): the time of lines that carry none and follow no line that does. */
  mtimeMs?: number;
  open(): AsyncIterable<Buffer>;
}

export async function fileSource(path: string): Promise<Source> {
  const info = await stat(path);
  return {
    name: path,
    size: info.size,
    mtimeMs: info.mtimeMs,
    open: () => createReadStream(path, { highWaterMark: 1024 * 1024 }),
  };
}

/** A file `--follow` waits for; opening it before it exists is an error. */
export function missingFileSource(path: string): Source {
  return { name: path, open: () => createReadStream(path) };
}

export function stdinSource(stdin: Readable): Source {
  return { name: 'stdin', open: () => stdin };
}

/** True when the file starts with the gzip magic number (rotated logs are often `.gz`). */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Batches of complete lines (without `\n`/`\r\n`) from a source, gunzipping when the data starts
 * with the gzip magic number. Memory is bounded by the chunk size plus one line.
 */
export async function* lineBatches(source: Source, stats: LineStats): AsyncGenerator<string[]> {
  yield* splitLines(await decodedChunks(source, stats), stats);
}

/** The source's bytes, gunzipped when they start with the gzip magic number. */
export async function decodedChunks(
  source: Source,
  stats: LineStats,
): Promise<AsyncIterable<Buffer>> {
  return maybeGunzip(counted(source.open(), stats));
}

async function* counted(chunks: AsyncIterable<Buffer>, stats: LineStats): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    stats.bytesRead += buffer.length;
    yield buffer;
  }
}

async function maybeGunzip(chunks: AsyncGenerator<Buffer>): Promise<AsyncIterable<Buffer>> {
  const first = await chunks.next();
  if (first.done) return (async function* () {})();
  const all = (async function* () {
    yield first.value;
    yield* chunks;
  })();
  if (first.value[0] !== 0x1f || first.value[1] !== 0x8b) return all;
  const gunzip = createGunzip();
  // pipeline forwards a read error or corrupt data into the gunzip stream's iteration.
  pipeline(Readable.from(all), gunzip, () => {});
  return gunzip;
}

export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  stats: LineStats,
): AsyncGenerator<string[]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false; // inside a line that is already over the limit
  for await (const chunk of chunks) {
    const batch: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (skipping) {
        skipping = false;
      } else if (pendingBytes + nl - start > MAX_LINE_BYTES) {
        stats.oversized++;
      } else {
        const line =
          pendingBytes === 0
            ? chunk.toString('utf8', start, nl)
            : Buffer.concat([...pending, chunk.subarray(start, nl)]).toString('utf8');
        batch.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length && !skipping) {
      const rest = chunk.subarray(start);
      if (pendingBytes + rest.length > MAX_LINE_BYTES) {
        stats.oversized++;
        skipping = true;
        pending = [];
        pendingBytes = 0;
      } else {
        // Copy: the read stream may reuse its buffer.
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (pendingBytes > 0) {
    const line = Buffer.concat(pending).toString('utf8');
    yield [line.endsWith('\r') ? line.slice(0, -1) : line];
  }
}
