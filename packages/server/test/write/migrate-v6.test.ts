import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/duckdb/schema.js';
import { DUCKDB_FILE_NAME, DuckDbStore } from '../../src/store/duckdb/store.js';
import { hex, tempDir } from './helpers.js';

/** A data file as schema v5 left it: the AI fields in 14 `ai_*` columns of spans. */
async function writeV5File(dir: string, t: string, spanIds: string[]) {
  const db = await DuckDBInstance.create(join(dir, DUCKDB_FILE_NAME));
  const c = await db.connect();
  await c.run(
    'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)',
  );
  for (let v = 1; v <= 5; v++) {
    await c.run(MIGRATIONS[v - 1]!);
    await c.run(`INSERT INTO schema_version (version) VALUES (${v})`);
  }
  const [llm, unpriced, decision, plain, session] = spanIds;
  const tv = `((('0x' || substr('${t}', 1, 16))::UBIGINT::UHUGEINT << 64) | ('0x' || substr('${t}', 17, 16))::UBIGINT::UHUGEINT)`;
  const row = (span: string, name: string, start: number, ai: string) =>
    `(${tv}, ('0x${span}')::UBIGINT, '${name}', 1, 'agent', ${start}, 1000, 0, 'req_v6', ${ai})`;
  await c.run(
    `INSERT INTO spans (trace_id, span_id, name, kind, service, start_ns, duration_ns, status_code,
                        request_id, ai_kind, ai_provider, ai_model, ai_operation, ai_input_tokens,
                        ai_output_tokens, ai_cache_read_tokens, ai_cache_creation_tokens,
                        ai_reasoning_tokens, ai_cost_usd, ai_cost_source, ai_ttft_ms, ai_session_id,
                        ai_user_id)
     VALUES ${[
       row(
         llm!,
         'chat gpt-4o',
         1000,
         "'llm', 'openai', 'gpt-4o', 'chat', 1200, 300, 100, NULL, 40, 0.0123, 'table', 250.5, 's1', 'u1'",
       ),
       row(
         unpriced!,
         'chat mystery',
         2000,
         "'llm', 'acme', 'mystery-1', NULL, 10, 5, NULL, NULL, NULL, NULL, 'unknown_model', NULL, NULL, NULL",
       ),
       row(
         decision!,
         'plan',
         3000,
         "'decision', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
       ),
       row(
         plain!,
         'db query',
         4000,
         'NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL',
       ),
       row(
         session!,
         'turn',
         5000,
         "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 's9', NULL",
       ),
     ].join(', ')}`,
  );
  await c.run(
    `INSERT INTO trace_index VALUES ((${tv} & 18446744073709551615::UHUGEINT)::UBIGINT, 1000, 6000)`,
  );
  await c.run(
    `INSERT INTO request_index VALUES (md5_number_upper('req_v6'), 'req_v6', ${tv}, 1000, 6000)`,
  );
  c.closeSync();
  db.closeSync();
}

describe('schema v6 migration', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('moves the ai_* columns of a v5 file to span_ai; lookups and AI roll-ups read the same', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const t = hex(16);
    const spanIds = [hex(8), hex(8), hex(8), hex(8), hex(8)];
    await writeV5File(dir, t, spanIds);

    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    cleanups.push(() => store.close());
    const conn = await store.connect();
    const columns = async (table: string) =>
      (
        await conn.runAndReadAll(
          `SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' AND column_name LIKE 'ai%' ORDER BY 1`,
        )
      )
        .getRows()
        .map((r) => r[0]);
    const spanColumns = await columns('spans');
    const aiColumns = await columns('span_ai');
    const aiRows = (await conn.runAndReadAll('SELECT count(*) FROM span_ai')).getRows();
    const version = (await conn.runAndReadAll('SELECT max(version) FROM schema_version')).getRows();
    conn.closeSync();
    expect(spanColumns).toEqual([]);
    expect(aiColumns).toHaveLength(14);
    // Only the spans with AI fields have a span_ai row.
    expect(aiRows).toEqual([[4n]]);
    expect(version).toEqual([[MIGRATIONS.length]]);

    const { spans } = await store.reader.lookup({ requestIds: ['req_v6'], traceIds: [] });
    expect(spans.map((s) => [s.name, s.ai])).toEqual([
      [
        'chat gpt-4o',
        {
          kind: 'llm',
          provider: 'openai',
          model: 'gpt-4o',
          operation: 'chat',
          input: 1200,
          output: 300,
          cacheRead: 100,
          reasoning: 40,
          costUsd: 0.0123,
          costSource: 'table',
          ttftMs: 250.5,
          sessionId: 's1',
          userId: 'u1',
        },
      ],
      // An LLM call the table could not price keeps costUsd: null, as the v2 columns read.
      [
        'chat mystery',
        {
          kind: 'llm',
          provider: 'acme',
          model: 'mystery-1',
          input: 10,
          output: 5,
          costUsd: null,
          costSource: 'unknown_model',
        },
      ],
      ['plan', { kind: 'decision' }],
      ['db query', undefined],
      ['turn', { sessionId: 's9' }],
    ]);

    const usage = await store.reader.aiUsage({
      startNs: 0n,
      endNs: 10_000n,
      groupBy: 'model',
      limit: 10,
    });
    expect(
      usage.groups.map((u) => [
        u.key,
        u.calls,
        u.inputTokens,
        u.costUsd,
        u.unpricedCalls,
        u.decisions,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['gpt-4o', 1, 1200, 0.0123, 0, 0],
        ['mystery-1', 1, 10, 0, 1, 0],
        [null, 0, 0, 0, 0, 1],
      ]),
    );
    const calls = await store.reader.aiCalls({
      startNs: 0n,
      endNs: 10_000n,
      order: 'costliest',
      limit: 10,
    });
    expect(calls.map((c) => [c.model, c.costUsd, c.ttftMs, c.requestId])).toEqual([
      ['gpt-4o', 0.0123, 250.5, 'req_v6'],
      ['mystery-1', null, null, 'req_v6'],
    ]);

    // A span written after the migration gets its span_ai row.
    await store.write({
      spans: [
        {
          traceId: t,
          spanId: hex(8),
          name: 'chat later',
          kind: 3,
          service: 'agent',
          startNs: 6000n,
          durationNs: 10n,
          statusCode: 0,
          requestId: 'req_v6',
          attributes: {},
          resource: {},
          events: [],
          links: [],
          ai: { kind: 'llm', model: 'gpt-4o', input: 7, output: 1, costUsd: 0.5 },
        },
      ],
      logs: [],
    });
    const after = await store.reader.aiUsage({
      startNs: 0n,
      endNs: 10_000n,
      groupBy: 'model',
      limit: 10,
    });
    expect(after.groups.find((u) => u.key === 'gpt-4o')).toMatchObject({
      calls: 2,
      inputTokens: 1207,
      costUsd: 0.5123,
    });
  });
});
