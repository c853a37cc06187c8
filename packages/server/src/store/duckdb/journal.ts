import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The ingest journal: an append-only log of the batches the store acknowledged but may not have
 * committed to DuckDB yet. An ack waits for one fdatasync of the journal (shared by every batch
 * appended meanwhile) instead of a DuckDB commit, so commits can take far larger groups than
 * clients have in flight: DuckDB's cost per transaction is mostly fixed (bench/RESULTS.md,
 * 2026-11-23). Each record carries a sequence number; the store writes the last one it
 * committed in the same DuckDB transaction, so replay after a crash applies exactly the records
 * DuckDB does not have.
 *
 * Segment files are named by their first sequence number; a record is
 * magic u32 | payload length u32 | seq u64 | crc32(seq + payload) u32 | payload (little-endian).
 */
const MAGIC = 0x314a5348; // 'HSJ1'
const HEADER = 20;
const SEGMENT_NAME = /^(\d{16})\.journal$/;

export interface JournalRecord {
  seq: number;
  payload: Uint8Array;
}

interface Segment {
  path: string;
  /** Highest sequence number written to it (0 when empty). */
  lastSeq: number;
}

interface Pending {
  bytes: Buffer[];
  seq: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface JournalOptions {
  /** Start a new segment once the current one holds this many bytes (default 64 MiB). */
  segmentBytes?: number;
}

export class IngestJournal {
  private readonly segments: Segment[] = [];
  private file?: FileHandle;
  private fileSize = 0;
  private nextSeq: number;
  private queue: Pending[] = [];
  private flushing?: Promise<void>;
  private readonly segmentBytes: number;
  private closed = false;

  private constructor(
    private readonly dir: string,
    lastSeq: number,
    options: JournalOptions,
  ) {
    this.nextSeq = lastSeq + 1;
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Opens the journal in `dir` and returns the records after `appliedSeq` (those the store must
   * replay), oldest first. A torn record at the end of the last segment (a write the crash cut
   * short, never acknowledged) is cut off; a damaged record anywhere else is an error naming
   * the file, since records after it were acknowledged.
   */
  static open(
    dir: string,
    appliedSeq: number,
    options: JournalOptions = {},
  ): { journal: IngestJournal; replay: JournalRecord[] } {
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir)
      .filter((n) => SEGMENT_NAME.test(n))
      .sort();
    const replay: JournalRecord[] = [];
    const segments: Segment[] = [];
    let lastSeq = appliedSeq;
    names.forEach((name, k) => {
      const path = join(dir, name);
      const { records, validBytes, damage } = readSegment(readFileSync(path));
      if (damage !== undefined) {
        if (k !== names.length - 1) {
          throw new Error(
            `ingest journal ${path} is damaged at byte ${validBytes} (${damage}); move the file out of ${dir} to start without its records`,
          );
        }
        truncateSync(path, validBytes);
      }
      let segLast = 0;
      for (const r of records) {
        if (r.seq <= lastSeq && r.seq > appliedSeq) {
          throw new Error(`ingest journal ${path} repeats sequence number ${r.seq}`);
        }
        if (r.seq > appliedSeq) replay.push(r);
        segLast = r.seq;
        lastSeq = Math.max(lastSeq, r.seq);
      }
      segments.push({ path, lastSeq: segLast });
    });
    const journal = new IngestJournal(dir, lastSeq, options);
    journal.segments.push(...segments);
    return { journal, replay };
  }

  /** The sequence number of the last append (0 before any, counting from earlier processes). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Bytes the journal's segments hold on disk. */
  bytesOnDisk(): number {
    let n = 0;
    for (const s of this.segments) {
      try {
        n += statSync(s.path).size;
      } catch {}
    }
    return n;
  }

  /**
   * Appends a record; its sequence number is known at once, `durable` resolves once it is on
   * disk. Appends made while a sync is in flight are written and synced together after it.
   */
  append(payload: Uint8Array): { seq: number; durable: Promise<void> } {
    if (this.closed) return { seq: 0, durable: Promise.reject(new Error('journal is closed')) };
    const seq = this.nextSeq++;
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(payload.byteLength, 4);
    header.writeBigUInt64LE(BigInt(seq), 8);
    header.writeUInt32LE(crc32(payload, crc32(header.subarray(8, 16))), 16);
    const body = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const durable = new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes: [header, body], seq, resolve, reject });
    });
    this.flushing ??= this.flush();
    return { seq, durable };
  }

  /** Deletes the segments whose records are all committed (up to and including `seq`). */
  release(seq: number): void {
    const current = this.segments.at(-1);
    for (let k = this.segments.length - 1; k >= 0; k--) {
      const s = this.segments[k]!;
      if (s === current && this.file) continue;
      if (s.lastSeq <= seq) {
        rmSync(s.path, { force: true });
        this.segments.splice(k, 1);
      }
    }
  }

  /**
   * Closes and deletes the segment being written when all of it is committed and no append is
   * under way (the next append starts a new one), so an idle store keeps no journal bytes.
   */
  async trim(seq: number): Promise<void> {
    const current = this.segments.at(-1);
    const file = this.file;
    if (!file || !current || this.flushing || current.lastSeq > seq) return;
    this.file = undefined;
    this.segments.pop();
    await file.close();
    rmSync(current.path, { force: true });
  }

  /** Waits for pending appends, then closes the file (segments stay for replay). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.file?.close();
    this.file = undefined;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        await this.writeGroup(group);
        for (const p of group) p.resolve();
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
    this.flushing = undefined;
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    if (!this.file || this.fileSize >= this.segmentBytes) await this.rotate(group[0]!.seq);
    const file = this.file!;
    const buffers = group.flatMap((p) => p.bytes);
    const length = buffers.reduce((n, b) => n + b.byteLength, 0);
    try {
      let written = 0;
      while (written < length) {
        const { bytesWritten } = await file.writev(skip(buffers, written));
        written += bytesWritten;
      }
      await file.datasync();
    } catch (err) {
      // A partly written group must not sit before later records: cut it off and start a new
      // segment for the next appends (this one's records stay readable up to the cut).
      await file.truncate(this.fileSize).catch(() => {});
      await file.close().catch(() => {});
      this.file = undefined;
      throw err;
    }
    this.fileSize += length;
    this.segments.at(-1)!.lastSeq = group.at(-1)!.seq;
  }

  private async rotate(firstSeq: number): Promise<void> {
    await this.file?.close();
    const path = join(this.dir, `${String(firstSeq).padStart(16, '0')}.journal`);
    this.file = await open(path, 'a');
    this.fileSize = 0;
    this.segments.push({ path, lastSeq: 0 });
  }
}

/** `buffers` without their first `bytes` bytes (after a short write). */
function skip(buffers: Buffer[], bytes: number): Buffer[] {
  if (bytes === 0) return buffers;
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (bytes >= b.byteLength) {
      bytes -= b.byteLength;
      continue;
    }
    out.push(bytes > 0 ? b.subarray(bytes) : b);
    bytes = 0;
  }
  return out;
}

/** The whole records of a segment, and where and why it stops early if it does. */
function readSegment(data: Buffer): {
  records: JournalRecord[];
  validBytes: number;
  damage?: string;
} {
  const records: JournalRecord[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < HEADER) return { records, validBytes: at, damage: 'a cut header' };
    if (data.readUInt32LE(at) !== MAGIC) return { records, validBytes: at, damage: 'no record' };
    const length = data.readUInt32LE(at + 4);
    if (data.length - at - HEADER < length) {
      return { records, validBytes: at, damage: 'a cut record' };
    }
    const payload = data.subarray(at + HEADER, at + HEADER + length);
    if (crc32(payload, crc32(data.subarray(at + 8, at + 16))) !== data.readUInt32LE(at + 16)) {
      return { records, validBytes: at, damage: 'a checksum mismatch' };
    }
    records.push({ seq: Number(data.readBigUInt64LE(at + 8)), payload });
    at += HEADER + length;
  }
  return { records, validBytes: at };
}
