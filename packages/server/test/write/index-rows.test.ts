import { createHash } from 'node:crypto';
import { BIGINT, UBIGINT, UHUGEINT, VARCHAR } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import {
  ChunkBuilder,
  FixedColumn,
  TextColumn,
  writeBigInt,
  writeTraceId,
  writeUBigInt,
} from '../../src/store/duckdb/chunk-columns.js';
import { requestKey, traceKey } from '../../src/store/duckdb/ids.js';
import { batchIndexRows, packIndex } from '../../src/store/duckdb/index-rows.js';
import { TICK_NS } from '../../src/store/duckdb/index-windows.js';
import { hex, spanRecord } from './helpers.js';

/** `n` ticks of the index windows (index-windows.ts) in nanoseconds. */
const ticks = (n: bigint) => n * TICK_NS;
/** request_index's key before schema v12: md5_number_upper, 64 bits. */
const requestKeyV4 = (id: string) => createHash('md5').update(id).digest().readBigUInt64LE(0);

describe('request index rows', () => {
  it('are the request key and the window of each trace in the batch, in whole ticks (schema v12)', () => {
    const traceId = hex(16);
    const spans = [
      spanRecord({ traceId, requestId: 'req_a', startNs: ticks(100n), durationNs: ticks(50n) }),
      spanRecord({ traceId, startNs: ticks(90n) + 1n, durationNs: ticks(5n) }),
      spanRecord({ requestId: 'req_a', startNs: ticks(7_000n) - 1n, durationNs: 2n }),
    ];
    const log = {
      timestampNs: ticks(9_000n),
      severityNumber: 9,
      level: 'info' as const,
      service: 'cron',
      body: 'no trace',
      requestId: 'req_b',
      attributes: {},
      resource: {},
      source: 'ndjson' as const,
    };
    const fromRecords = batchIndexRows({ spans, logs: [log] }).requests.flatMap((c) => c.getRows());
    // The same rows packed by a worker and unpacked by the store.
    const packed = packIndex({ spans, logs: [log] });
    const fromPacked = batchIndexRows({ spans: [], logs: [] }, packed).requests.flatMap((c) =>
      c.getRows(),
    );
    // (key, start tick, length in ticks): starts floored, ends ceiled.
    const expected = [
      [requestKey('req_a'), 90n, 60], // widened to its whole trace in the batch
      [requestKey('req_a'), 6_999n, 2], // 1 ns before a tick to 1 ns after it
      [requestKey('req_b'), 9_000n, 0],
    ];
    expect(fromRecords).toEqual(expected);
    expect(fromPacked).toEqual(expected);
  });

  it('read from a journal of an earlier build drop the request text and trace ID they carried', () => {
    // Builds before schema v10 packed (request_key, request_id, trace_id, start_ns, end_ns).
    const cols = [
      new FixedColumn(8),
      new TextColumn(),
      new FixedColumn(16),
      new FixedColumn(8),
      new FixedColumn(8),
    ] as const;
    const old = new ChunkBuilder([UBIGINT, VARCHAR, UHUGEINT, BIGINT, BIGINT], [...cols], true);
    const rows: [string, string | undefined, bigint, bigint][] = [
      ['req_a', hex(16), ticks(10n), ticks(20n)],
      ['req_b', undefined, ticks(30n) + 1n, ticks(30n) + 2n],
    ];
    for (const [id, trace, start, end] of rows) {
      const i = old.next();
      writeUBigInt(cols[0], i, requestKeyV4(id));
      cols[1].set(i, id);
      if (trace) writeTraceId(cols[2], i, trace);
      else cols[2].setNull(i);
      writeBigInt(cols[3], i, start);
      writeBigInt(cols[4], i, end);
    }
    const index = { traces: [], requests: old.finishPacked(), operations: [] };
    const read = batchIndexRows({ spans: [], logs: [] }, index).requests.flatMap((c) =>
      c.getRows(),
    );
    expect(read).toEqual([
      [requestKey('req_a'), 10n, 10],
      [requestKey('req_b'), 30n, 1],
    ]);
  });

  it('and trace index rows of a pre-v12 journal become 32-bit keys and tick windows', () => {
    // Builds before schema v12 packed (64-bit key, start_ns, end_ns) for both tables.
    const cols = [new FixedColumn(8), new FixedColumn(8), new FixedColumn(8)] as const;
    const old = new ChunkBuilder([UBIGINT, BIGINT, BIGINT], [...cols], true);
    const traceId = hex(16);
    const i = old.next();
    writeUBigInt(cols[0], i, BigInt(`0x${traceId.slice(16)}`));
    writeBigInt(cols[1], i, ticks(5n) - 1n);
    writeBigInt(cols[2], i, ticks(7n) + 1n);
    const index = { traces: old.finishPacked(), requests: [], operations: [] };
    const read = batchIndexRows({ spans: [], logs: [] }, index).traces.flatMap((c) => c.getRows());
    expect(read).toEqual([[traceKey(traceId), 4n, 4]]);
  });
});
