/**
 * Token counts kept once (schema v11, ai-attrs.ts): a usage attribute whose number the span's
 * ai_* column holds is stored as a placeholder plus a bit; every read gives it back, searches find
 * it, and values the column does not hold exactly stay where they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenColumnValue } from '../../src/store/duckdb/ai-attrs.js';
import { traceFromHexSql } from '../../src/store/duckdb/ids.js';
import { splitAttributes } from '../../src/store/duckdb/span-chunks.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { Attributes, SpanRecord } from '../../src/store/records.js';
import { dataFileAtVersion, kv, postTraces, spanRecord, tempDir, testServer } from './helpers.js';

describe('splitAttributes with AI columns', () => {
  it('leaves a placeholder where the column holds the very number, the value elsewhere', () => {
    const split = splitAttributes(
      {
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 7.5,
        'llm.token_count.prompt': 120,
        'llm.token_count.completion': '9',
        'gen_ai.usage.cache_read.input_tokens': 4,
        other: 120,
      },
      undefined,
      { kind: 'llm', input: 120, output: 7.5, cacheRead: 5 },
    );
    expect(JSON.parse(split.values!)).toEqual([0, 7.5, 0, '9', 4, 120]);
    // Bits of gen_ai.usage.input_tokens (0) and llm.token_count.prompt (4).
    expect(split.aiBits).toBe(0b10001);
    expect(splitAttributes({ 'gen_ai.usage.input_tokens': 120 }, undefined).aiBits).toBe(0);
  });

  it('keeps a count past int32 among the values, its column NULL', () => {
    const huge = 3_000_000_000;
    expect(tokenColumnValue(huge)).toBeUndefined();
    expect(tokenColumnValue(-huge)).toBeUndefined();
    expect(tokenColumnValue(Number.NaN)).toBeUndefined();
    expect(tokenColumnValue(2_147_483_647)).toBe(2_147_483_647);
    expect(tokenColumnValue(12.6)).toBe(13);
    const split = splitAttributes({ 'gen_ai.usage.input_tokens': huge }, undefined, {
      kind: 'llm',
      input: huge,
    });
    expect(split).toMatchObject({ values: '[3000000000]', aiBits: 0 });
  });
});

const T1 = 'c3'.repeat(16);
const T2 = 'd4'.repeat(16);
const NOW = BigInt(Date.now()) * 1_000_000n;

const LLM_ATTRS: Attributes = {
  'gen_ai.system': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.usage.input_tokens': 1234,
  'gen_ai.usage.output_tokens': 321,
  'llm.token_count.prompt': 99,
  'request.id': 'req_0123456789ab',
};

async function storedValues(store: DuckDbStore): Promise<Array<[unknown, unknown]>> {
  const conn = await store.connect();
  try {
    const r = await conn.runAndReadAll('SELECT attr_values, attr_ai FROM spans ORDER BY start_ns');
    return r.getRows().map(([v, bits]) => [v, bits]);
  } finally {
    conn.closeSync();
  }
}

describe('token counts kept once (records path)', () => {
  const tmp = tempDir('hopscope-ai-attrs-');
  let store: DuckDbStore;
  const span = (traceId: string, attributes: Attributes, ai?: SpanRecord['ai']) =>
    spanRecord({
      traceId,
      name: 'chat gpt-4o',
      startNs: NOW,
      requestId: attributes['request.id'] as string | undefined,
      attributes,
      ai,
    });

  beforeAll(async () => {
    store = new DuckDbStore({ dataDir: tmp.dir });
    await store.open();
    await store.write({
      spans: [
        // As normaliseBatch leaves it: input and output from the GenAI names.
        span(T1, LLM_ATTRS, { kind: 'llm', provider: 'openai', input: 1234, output: 321 }),
        // The same attributes where the columns say otherwise: nothing moves.
        { ...span(T2, LLM_ATTRS, { kind: 'llm', input: 1000 }), startNs: NOW + 1n },
      ],
      logs: [],
    });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('stores placeholders for what the columns hold', async () => {
    expect(await storedValues(store)).toEqual([
      ['["openai","gpt-4o",0,0,99]', 3],
      ['["openai","gpt-4o",1234,321,99]', null],
    ]);
  });

  it('reads every attribute back as it came, in order', async () => {
    const { spans } = await store.reader.lookup({ requestIds: [], traceIds: [T1, T2] });
    expect(spans.map((s) => Object.entries(s.attributes))).toEqual([
      Object.entries(LLM_ATTRS),
      Object.entries(LLM_ATTRS),
    ]);
  });

  it('finds spans by a moved value, and not by the placeholder', async () => {
    const search = async (key: string, value: string) =>
      (
        await store.reader.searchTraces({
          tags: [{ key, value }],
          startNs: NOW - 60_000_000_000n,
          endNs: NOW + 60_000_000_000n,
          limit: 10,
        })
      ).sort();
    expect(await search('gen_ai.usage.input_tokens', '1234')).toEqual([T1, T2].sort());
    expect(await search('gen_ai.usage.output_tokens', '321')).toEqual([T1, T2].sort());
    expect(await search('gen_ai.usage.input_tokens', '0')).toEqual([]);
    expect(await search('llm.token_count.prompt', '99')).toEqual([T1, T2].sort());
  });
});

describe('token counts kept once (protobuf rows path)', () => {
  it('gives an LLM span its usage attributes back through the API', async () => {
    const server = await testServer({ ingestWorkers: 0 });
    try {
      const res = await postTraces(server.url, {
        resourceSpans: [
          {
            resource: { attributes: [kv('service.name', { stringValue: 'llm-proxy' })] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: Buffer.from(T1, 'hex'),
                    spanId: Buffer.from('00000000000000e1', 'hex'),
                    name: 'chat gpt-4o',
                    kind: 3,
                    startTimeUnixNano: NOW.toString(),
                    endTimeUnixNano: (NOW + 5_000_000n).toString(),
                    attributes: [
                      kv('gen_ai.system', { stringValue: 'openai' }),
                      kv('gen_ai.request.model', { stringValue: 'gpt-4o' }),
                      kv('gen_ai.usage.input_tokens', { intValue: 1234 }),
                      kv('gen_ai.usage.output_tokens', { intValue: 321 }),
                    ],
                  },
                ],
              },
            ],
          },
        ],
      });
      expect(res.status).toBe(200);
      expect(await storedValues(server.store as DuckDbStore)).toEqual([
        ['["openai","gpt-4o",0,0]', 3],
      ]);
      const { spans } = await server.store.reader.lookup({ requestIds: [], traceIds: [T1] });
      expect(spans[0]!.attributes).toEqual({
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1234,
        'gen_ai.usage.output_tokens': 321,
      });
      expect(spans[0]!.ai).toMatchObject({ input: 1234, output: 321 });
    } finally {
      await server.stop();
    }
  });
});

describe('schema v11 on a v10 file', () => {
  it('keeps token counts as INTEGER, NULL past int32, and every attribute as it was', async () => {
    const tmp = tempDir('hopscope-ai-v10-');
    try {
      const { db, conn: c } = await dataFileAtVersion(tmp.dir, 10);
      await c.run(
        `INSERT INTO spans (trace_id, span_id, name, kind, service, start_ns, duration_ns, status_code,
                            ai_kind, ai_input_tokens, ai_output_tokens, attr_keys, attr_values)
         VALUES (${traceFromHexSql('$t')}, 1, 'chat', 3, 'llm', $start, 10, 0, 'llm', 1234, 3000000000,
                 '["gen_ai.usage.input_tokens","gen_ai.usage.output_tokens"]', '[1234,3000000000]')`,
        { t: '0c'.repeat(16), start: NOW },
      );
      await c.run(`INSERT INTO trace_index_recent VALUES ($k, $start, $start + 10)`, {
        k: BigInt(`0x${'0c'.repeat(8)}`),
        start: NOW,
      });
      c.closeSync();
      db.closeSync();

      const store = new DuckDbStore({ dataDir: tmp.dir });
      await store.open();
      try {
        const { spans } = await store.reader.lookup({
          requestIds: [],
          traceIds: ['0c'.repeat(16)],
        });
        expect(spans).toHaveLength(1);
        expect(spans[0]!.ai).toMatchObject({ kind: 'llm', input: 1234 });
        expect(spans[0]!.ai?.output).toBeUndefined();
        expect(spans[0]!.attributes).toEqual({
          'gen_ai.usage.input_tokens': 1234,
          'gen_ai.usage.output_tokens': 3_000_000_000,
        });
      } finally {
        await store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
