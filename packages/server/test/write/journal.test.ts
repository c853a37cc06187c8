import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spanHexSql } from '../../src/store/duckdb/ids.js';
import { IngestJournal } from '../../src/store/duckdb/journal.js';
import {
  decodeEntry,
  encodeEntry,
  journalEntry,
  serialisedEntry,
} from '../../src/store/duckdb/journal-entry.js';
import { encodeSpans } from '../../src/store/duckdb/span-chunks.js';
import { DuckDbStore, JOURNAL_DIR_NAME } from '../../src/store/duckdb/store.js';
import type { SpanRecord } from '../../src/store/records.js';
import { hex, spanRecord, tempDir } from './helpers.js';

/** A span with a request ID and a few attributes, as most ingested spans have. */
function span(over: Partial<SpanRecord> = {}): SpanRecord {
  return spanRecord({
    requestId: `req_${hex(6)}`,
    attributes: { 'http.route': '/x', n: 3 },
    ...over,
  });
}

const payload = (text: string) => new TextEncoder().encode(text);
const texts = (records: { payload: Uint8Array }[]) =>
  records.map((r) => new TextDecoder().decode(r.payload));

/** Journal records of span batches, as an earlier process would have left them. */
async function leaveJournal(dir: string, batches: SpanRecord[][], firstSeq = 1): Promise<void> {
  const { journal } = IngestJournal.open(join(dir, JOURNAL_DIR_NAME), firstSeq - 1);
  await Promise.all(
    batches.map((spans) => journal.append(encodeEntry(journalEntry({ spans, logs: [] })!)).durable),
  );
  await journal.close();
}

async function spanIds(store: DuckDbStore): Promise<string[]> {
  const conn = await store.connect();
  try {
    const rows = (await conn.runAndReadAll(`SELECT ${spanHexSql('span_id')} FROM spans`)).getRows();
    return rows.map((r) => r[0] as string).sort();
  } finally {
    conn.closeSync();
  }
}

describe('IngestJournal', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('numbers appends in order, syncs them in groups and gives back those after a position', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { journal, replay } = IngestJournal.open(dir, 0);
    expect(replay).toEqual([]);
    const appends = ['a', 'b', 'c', 'd'].map((t) => journal.append(payload(t)));
    expect(appends.map((a) => a.seq)).toEqual([1, 2, 3, 4]);
    await Promise.all(appends.map((a) => a.durable));
    await journal.close();

    const again = IngestJournal.open(dir, 2);
    expect(again.replay.map((r) => r.seq)).toEqual([3, 4]);
    expect(texts(again.replay)).toEqual(['c', 'd']);
    // New appends continue the numbering, in a segment of their own.
    const next = again.journal.append(payload('e'));
    expect(next.seq).toBe(5);
    await next.durable;
    await again.journal.close();
    expect(readdirSync(dir)).toEqual(['0000000000000001.journal', '0000000000000005.journal']);
  });

  it('cuts off a torn record at the end (never acknowledged) and keeps those before it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { journal } = IngestJournal.open(dir, 0);
    await Promise.all(['a', 'b'].map((t) => journal.append(payload(t)).durable));
    await journal.close();
    const [file] = readdirSync(dir);
    const path = join(dir, file!);
    const whole = readFileSync(path);
    // Half of a third record's header; a whole record whose payload is not what was summed.
    for (const tail of [
      whole.subarray(0, 10),
      Buffer.concat([whole.subarray(0, 20), Buffer.from('z')]),
    ]) {
      writeFileSync(path, Buffer.concat([whole, tail]));
      const { journal: j, replay } = IngestJournal.open(dir, 0);
      expect(texts(replay)).toEqual(['a', 'b']);
      expect(readFileSync(path).length).toBe(whole.length);
      await j.close();
    }
  });

  it('refuses to start over a damaged record that acknowledged records follow', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const first = IngestJournal.open(dir, 0).journal;
    await first.append(payload('a')).durable;
    await first.close();
    const second = IngestJournal.open(dir, 0).journal;
    await second.append(payload('b')).durable;
    await second.close();
    const path = join(dir, '0000000000000001.journal');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(path, bytes);
    expect(() => IngestJournal.open(dir, 0)).toThrow(
      /ingest journal .*0000000000000001\.journal is damaged at byte 0 \(a checksum mismatch\); move the file out/,
    );
  });

  it('deletes a segment once everything in it is committed, never the one being written', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { journal } = IngestJournal.open(dir, 0, { segmentBytes: 64 });
    for (const t of ['a'.repeat(50), 'b'.repeat(50), 'c'.repeat(50)]) {
      await journal.append(payload(t)).durable;
    }
    expect(readdirSync(dir)).toHaveLength(3);
    journal.release(2);
    expect(readdirSync(dir)).toEqual(['0000000000000003.journal']);
    journal.release(3);
    expect(readdirSync(dir)).toEqual(['0000000000000003.journal']);
    await journal.close();
    journal.release(3);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('DuckDbStore with its ingest journal', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('replays acknowledged batches DuckDB does not have, exactly once, before serving reads', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const committed = [span(), span()];
    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    await store.write({ spans: committed, logs: [] });
    await store.close(); // journal position 1 is in DuckDB

    // A crash after acks: the journal holds record 1 (committed) again and 2–3 (not).
    const lost = [[span(), span({ statusCode: 2 })], [span({ requestId: 'req_replayed' })]];
    await leaveJournal(dir, [committed, ...lost]);
    const reopened = new DuckDbStore({ dataDir: dir });
    await reopened.open();
    cleanups.push(() => reopened.close());
    const all = [committed, ...lost].flat();
    expect(await spanIds(reopened)).toEqual(all.map((s) => s.spanId).sort());
    const [replayed] = (
      await reopened.reader.lookup({ requestIds: ['req_replayed'], traceIds: [] })
    ).spans;
    expect(replayed?.spanId).toBe(lost[1]![0]!.spanId);
    expect(readdirSync(join(dir, JOURNAL_DIR_NAME))).toHaveLength(0);
    expect(reopened.recovered).toEqual({ batches: 2, spans: 3 });

    // Writes after the replay take the numbering on; reopening replays nothing twice.
    await reopened.write({ spans: [span()], logs: [] });
    await reopened.close();
    const third = new DuckDbStore({ dataDir: dir });
    await third.open();
    cleanups.push(() => third.close());
    expect(third.recovered).toEqual({ batches: 0, spans: 0 });
    expect((await third.stats()).spansTotal).toBe(all.length + 1);
  });

  it('journals the record an ingest worker serialised, and replays it like its own', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const spans = [span({ requestId: 'req_from_worker' }), span()];
    // What a worker thread hands over: the packed columns and their serialised entry.
    const encoded = encodeSpans(spans);
    encoded.payload.journal = serialisedEntry(encoded.payload, encoded.rows);
    const entry = journalEntry({ spans: [], logs: [], encoded })!;
    const bytes = encodeEntry(entry);
    expect(bytes).toBe(encoded.payload.journal);
    const { journal: _, ...alone } = encoded.payload;
    expect(decodeEntry(bytes)).toEqual(
      journalEntry({ spans: [], logs: [], encoded: { ...encoded, payload: alone } }),
    );

    const { journal } = IngestJournal.open(join(dir, JOURNAL_DIR_NAME), 0);
    await journal.append(bytes).durable;
    await journal.close();
    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    cleanups.push(() => store.close());
    expect(store.recovered).toEqual({ batches: 1, spans: 2 });
    expect(await spanIds(store)).toEqual(spans.map((s) => s.spanId).sort());
    const found = await store.reader.lookup({ requestIds: ['req_from_worker'], traceIds: [] });
    expect(found.spans.map((s) => s.spanId)).toEqual([spans[0]!.spanId]);
  });

  it('a read started after an ack sees the spans, though acks do not wait for commits', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    let commits = 0;
    const store = new DuckDbStore({ dataDir: dir, onCommit: () => commits++ });
    await store.open();
    cleanups.push(() => store.close());
    const batches = Array.from({ length: 30 }, () => Array.from({ length: 100 }, () => span()));
    await Promise.all(batches.map((spans) => store.write({ spans, logs: [] })));
    expect(await spanIds(store)).toEqual(
      batches
        .flat()
        .map((s) => s.spanId)
        .sort(),
    );
    expect((await store.stats()).spansTotal).toBe(3000);
    expect(commits).toBeLessThan(30);
    // Everything committed: a checkpoint leaves no journal bytes behind.
    expect(readdirSync(join(dir, JOURNAL_DIR_NAME)).length).toBeGreaterThan(0);
    await store.checkpoint();
    expect(readdirSync(join(dir, JOURNAL_DIR_NAME))).toEqual([]);
  });

  it('refuses a batch it cannot encode before journaling it; a journal it cannot read is an error', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    await expect(store.write({ spans: [span({ kind: 300 as never })], logs: [] })).rejects.toThrow(
      /300 does not fit/,
    );
    await store.close();
    expect(readdirSync(join(dir, JOURNAL_DIR_NAME))).toEqual([]);

    const journalDir = join(dir, JOURNAL_DIR_NAME);
    const { journal } = IngestJournal.open(journalDir, 1);
    await journal.append(payload('not a batch')).durable;
    await journal.close();
    const broken = new DuckDbStore({ dataDir: dir });
    await expect(broken.open()).rejects.toThrow(/ingest journal record 2 in .*journal: /);
    await broken.close();
    expect(existsSync(join(journalDir, '0000000000000002.journal'))).toBe(true);
  });

  it('stops the start when a journal record fails to commit, committing nothing after it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const first = new DuckDbStore({ dataDir: dir });
    await first.open();
    await first.close();
    // Record 1 is fine; record 2 has a NULL where the table says NOT NULL (span names), which
    // only DuckDB finds, at commit; record 3 is fine again.
    const journalDir = join(dir, JOURNAL_DIR_NAME);
    const { journal } = IngestJournal.open(journalDir, 0);
    const entries = [[span()], [span()], [span()]].map(
      (spans) => journalEntry({ spans, logs: [] })!,
    );
    const nameColumn = entries[1]!.chunks[0]!.columns[4]!;
    (nameColumn as { valid?: ArrayBuffer }).valid = new ArrayBuffer(8 * 32);
    for (const e of entries) await journal.append(encodeEntry(e)).durable;
    await journal.close();

    const store = new DuckDbStore({ dataDir: dir, onCommitRetry: () => {} });
    await expect(store.open()).rejects.toThrow(
      /replaying the ingest journal in .*journal failed: /,
    );
    await store.close();
    // Record 1 went in; 2 and 3 wait in the journal for a Hopscope that can commit them.
    const check = new DuckDbStore({ dataDir: dir });
    await expect(check.open()).rejects.toThrow(/replaying the ingest journal/);
    await check.close();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(join(dir, 'hopscope.duckdb'));
    const conn = await db.connect();
    const [[spans, applied]] = (
      await conn.runAndReadAll(
        'SELECT (SELECT count(*) FROM spans), (SELECT applied_seq FROM ingest_journal)',
      )
    ).getRows() as [[bigint, bigint]];
    conn.closeSync();
    db.closeSync();
    expect([spans, applied]).toEqual([1n, 1n]);
  });
});
