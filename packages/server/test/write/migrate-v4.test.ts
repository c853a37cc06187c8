import { afterEach, describe, expect, it } from 'vitest';
import { traceKey } from '../../src/store/duckdb/ids.js';
import { MIGRATIONS } from '../../src/store/duckdb/schema.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { dataFileAtVersion, hex, tempDir } from './helpers.js';

/** A data file as schema v3 left it: hex IDs, ART-keyed index tables, request.id in the JSON. */
async function writeV3File(
  dir: string,
  ids: { t: string; u: string; root: string; child: string; other: string },
) {
  const { db, conn: c } = await dataFileAtVersion(dir, 3);
  const attrs = JSON.stringify({
    'http.route': '/chat',
    'request.id': 'req_m',
    'we"ird': [1, { z: null }],
    $q: true,
    'ü.k': 'wert ü',
  });
  await c.run(
    `INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, service, start_ns, duration_ns,
                        status_code, request_id, attributes, resource)
     VALUES ($t, $root, NULL, 'POST /chat', 2, 'gateway', 1000, 500, 0, 'req_m', $attrs, '{"service.name":"gateway"}'),
            ($t, $child, $root, 'llm.call', 3, 'agent', 1100, 300, 2, 'req_m', NULL, NULL),
            ($u, $other, '', 'lonely', 1, 'agent', 5000, 10, 0, NULL, NULL, NULL)`,
    { ...ids, attrs },
  );
  const { t, u, child } = ids;
  await c.run('INSERT INTO trace_index VALUES ($t, 1000, 1500), ($u, 5000, 5010)', { t, u });
  await c.run(
    "INSERT INTO request_index VALUES ('req_m', $t, 1000, 1500), ('req_m', '', 900, 900)",
    {
      t,
    },
  );
  await c.run(
    "INSERT INTO operations VALUES ('gateway', 'POST /chat', 2), ('agent', 'llm.call', 3), ('agent', 'lonely', 1)",
  );
  await c.run(
    `INSERT INTO logs (timestamp_ns, severity_number, level, service, body, trace_id, span_id, request_id, source)
       VALUES (900, 9, 'info', 'gateway', 'no trace yet', NULL, NULL, 'req_m', 'ndjson'),
              (1200, 17, 'error', 'agent', 'in the trace', $t, $child, 'req_m', 'otlp')`,
    { t, child },
  );
  c.closeSync();
  db.closeSync();
}

describe('schema v4/v5 migration', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('converts a v3 file: every span, log and index row still answers the same lookups', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const ids = {
      t: hex(16),
      u: `${'0'.repeat(16)}${hex(8)}`,
      root: hex(8),
      child: hex(8),
      other: hex(8),
    };
    await writeV3File(dir, ids);

    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    cleanups.push(() => store.close());
    const conn = await store.connect();
    const version = (await conn.runAndReadAll('SELECT max(version) FROM schema_version')).getRows();
    const types = (
      await conn.runAndReadAll(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'spans' AND column_name IN ('trace_id', 'span_id', 'parent_span_id') ORDER BY 1",
      )
    ).getRows();
    const indexes = (
      await conn.runAndReadAll('SELECT table_name, index_name FROM duckdb_indexes() ORDER BY 1')
    ).getRows();
    const traceIndex = (
      await conn.runAndReadAll(
        'SELECT trace_key, start_tick, length_ticks FROM trace_index UNION ALL SELECT 0::UINTEGER, count(*), 0::UINTEGER FROM trace_index_recent',
      )
    ).getRows();
    conn.closeSync();
    expect(version).toEqual([[MIGRATIONS.length]]);
    expect(types).toEqual([
      ['parent_span_id', 'UBIGINT'],
      ['span_id', 'UBIGINT'],
      ['trace_id', 'UHUGEINT'],
    ]);
    // v3's ART keys are gone, and so is v5's on trace_index's 64-bit key: since v8 the keys are
    // sorted instead. trace_index_recent holds what v9 indexed of the log lines (one, of t).
    expect(indexes).toEqual([]);
    // Since v12: 32-bit keys, and windows in ticks of 2^23 ns holding [1000, 1500] and [5000, 5010].
    expect(traceIndex).toEqual(
      [
        [traceKey(ids.t)!, 0n, 1],
        [traceKey(ids.u)!, 0n, 1],
      ]
        .sort((a, b) => (a[0]! < b[0]! ? -1 : 1))
        .concat([[0, 1n, 0]]),
    );

    const byRequest = await store.reader.lookup({ requestIds: ['req_m'], traceIds: [] });
    expect(byRequest.spans.map((s) => [s.traceId, s.spanId, s.parentSpanId])).toEqual([
      [ids.t, ids.root, undefined],
      [ids.t, ids.child, ids.root],
    ]);
    // Rows from before v4 keep request.id among their attributes; v7 split keys from values.
    expect(Object.entries(byRequest.spans[0]!.attributes)).toEqual([
      ['http.route', '/chat'],
      ['request.id', 'req_m'],
      ['we"ird', [1, { z: null }]],
      ['$q', true],
      ['ü.k', 'wert ü'],
    ]);
    expect(byRequest.spans[0]!.resource).toEqual({ 'service.name': 'gateway' });
    expect(byRequest.logs.map((l) => l.body)).toEqual(['no trace yet', 'in the trace']);

    // A 64-bit trace ID padded with zeros, and an empty parent stored as '' in v3.
    const byTrace = await store.reader.lookup({ requestIds: [], traceIds: [ids.u] });
    expect(byTrace.spans.map((s) => [s.traceId, s.spanId, s.parentSpanId])).toEqual([
      [ids.u, ids.other, undefined],
    ]);
    expect(await store.reader.requestIdsOfTraces([ids.t])).toEqual(['req_m']);
    expect(await store.stats()).toMatchObject({ spansTotal: 3, logsTotal: 2, tracesTotal: 2 });
    const found = await store.reader.searchTraces({
      startNs: 0n,
      endNs: 10_000n,
      tags: [{ key: 'request.id', value: 'req_m' }],
      limit: 10,
    });
    expect(found).toEqual([ids.t]);
    for (const [key, value] of [
      ['http.route', '/chat'],
      ['$q', 'true'],
      ['ü.k', 'wert ü'],
    ]) {
      const byTag = {
        startNs: 0n,
        endNs: 10_000n,
        tags: [{ key: key!, value: value! }],
        limit: 10,
      };
      expect(await store.reader.searchTraces(byTag)).toEqual([ids.t]);
    }
    const deps = await store.reader.dependencies(0n, 10_000n);
    expect(deps).toEqual([{ parent: 'gateway', child: 'agent', callCount: 1, errorCount: 1 }]);

    // New rows of the same trace and request, written through v4, join the migrated ones.
    await store.write({
      spans: [
        {
          traceId: ids.t,
          spanId: hex(8),
          parentSpanId: ids.child,
          name: 'tool',
          kind: 1,
          service: 'sandbox',
          startNs: 1150n,
          durationNs: 900n,
          statusCode: 0,
          requestId: 'req_m',
          attributes: { 'request.id': 'req_m', n: 1 },
          resource: {},
          events: [],
          links: [],
        },
      ],
      logs: [],
    });
    const after = await store.reader.lookup({ requestIds: ['req_m'], traceIds: [] });
    expect(after.spans.map((s) => s.name)).toEqual(['POST /chat', 'llm.call', 'tool']);
    expect(after.spans[2]!.attributes).toEqual({ 'request.id': 'req_m', n: 1 });
    expect(await store.stats()).toMatchObject({ spansTotal: 4, tracesTotal: 2 });
  });
});
