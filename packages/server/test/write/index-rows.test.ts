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
import { requestKey } from '../../src/store/duckdb/ids.js';
import { batchIndexRows, packIndex } from '../../src/store/duckdb/index-rows.js';
import { hex, spanRecord } from './helpers.js';

describe('request index rows', () => {
  it('are the request key and the window of each trace in the batch (schema v10)', () => {
    const traceId = hex(16);
    const spans = [
      spanRecord({ traceId, requestId: 'req_a', startNs: 100n, durationNs: 50n }),
      spanRecord({ traceId, startNs: 90n, durationNs: 5n }),
      spanRecord({ requestId: 'req_a', startNs: 7_000n, durationNs: 1n }),
    ];
    const log = {
      timestampNs: 9_000n,
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
    const expected = [
      [requestKey('req_a'), 90n, 150n], // widened to its whole trace in the batch
      [requestKey('req_a'), 7_000n, 7_001n],
      [requestKey('req_b'), 9_000n, 9_000n],
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
      ['req_a', hex(16), 10n, 20n],
      ['req_b', undefined, 30n, 30n],
    ];
    for (const [id, trace, start, end] of rows) {
      const i = old.next();
      writeUBigInt(cols[0], i, requestKey(id));
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
      [requestKey('req_a'), 10n, 20n],
      [requestKey('req_b'), 30n, 30n],
    ]);
  });
});
