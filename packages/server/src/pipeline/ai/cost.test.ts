import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Attributes } from '../../store/records.js';
import { extractAi } from './normalize.js';
import { loadPriceTable, PriceTable, shippedPrices } from './prices.js';

const table = loadPriceTable();

/** Cost of a GenAI-shaped span. */
function cost(attrs: Attributes, t: PriceTable = table) {
  const ai = extractAi('chat x', { 'gen_ai.operation.name': 'chat', ...attrs }, t)!;
  return { usd: ai.costUsd, source: ai.costSource };
}

describe('cost from the shipped price table', () => {
  it.each([
    // [case, attributes, expected USD, source]
    [
      'plain input and output',
      {
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 500,
      },
      0.00045,
      'table',
    ],
    // 1000*0.15 + 500*0.6 = 450 µ$
    [
      'dated response model picked over the request alias',
      {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 1234,
        'gen_ai.usage.output_tokens': 56,
      },
      0.003645,
      'table',
    ],
    // 1234*2.5 + 56*10 = 3085 + 560 = 3645 µ$
    [
      'gpt-4o-mini is not priced as gpt-4o',
      {
        'gen_ai.request.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 1000000,
        'gen_ai.usage.output_tokens': 0,
      },
      0.15,
      'table',
    ],
    [
      'cache reads inside input tokens (OpenAI)',
      {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 2000,
        'gen_ai.usage.cache_read.input_tokens': 1500,
        'gen_ai.usage.output_tokens': 100,
      },
      0.004125,
      'table',
    ],
    // 500*2.5 + 1500*1.25 + 100*10 = 1250 + 1875 + 1000 = 4125 µ$
    [
      'Anthropic cache write and read, input inclusive',
      {
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-20250514',
        'gen_ai.usage.input_tokens': 10000,
        'gen_ai.usage.cache_read.input_tokens': 6000,
        'gen_ai.usage.cache_creation.input_tokens': 3000,
        'gen_ai.usage.output_tokens': 800,
      },
      0.02805,
      'table',
    ],
    // (10000-6000-3000)*3 + 6000*0.3 + 3000*3.75 + 800*15 = 3000 + 1800 + 11250 + 12000 = 28050 µ$
    [
      'Anthropic raw usage (input excludes cache)',
      {
        'gen_ai.request.model': 'claude-3-5-haiku-20241022',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.cache_read.input_tokens': 4000,
        'gen_ai.usage.cache_creation.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 200,
      },
      0.0022,
      'table',
    ],
    // 100*0.8 + 4000*0.08 + 1000*1 + 200*4 = 80 + 320 + 1000 + 800 = 2200 µ$
    [
      'reasoning tokens billed as output, not twice',
      {
        'gen_ai.request.model': 'o4-mini',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.output_tokens': 1000,
        'gen_ai.usage.reasoning.output_tokens': 900,
      },
      0.00451,
      'table',
    ],
    // 100*1.1 + 1000*4.4 = 110 + 4400 = 4510 µ$
    [
      'tier below the threshold',
      {
        'gen_ai.request.model': 'gemini-2.5-pro',
        'gen_ai.usage.input_tokens': 200000,
        'gen_ai.usage.output_tokens': 1000,
      },
      0.26,
      'table',
    ],
    // 200000*1.25 + 1000*10 = 250000 + 10000 = 260000 µ$
    [
      'tier above the threshold prices every token at the tier',
      {
        'gen_ai.request.model': 'gemini-2.5-pro',
        'gen_ai.usage.input_tokens': 200001,
        'gen_ai.usage.output_tokens': 1000,
      },
      0.5150025,
      'table',
    ],
    // 200001*2.5 + 1000*15 = 500002.5 + 15000 = 515002.5 µ$
    [
      'provider prefix in the model name',
      {
        'gen_ai.request.model': 'openai/gpt-4.1-mini',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 10,
      },
      0.00002,
      'table',
    ],
    // 10*0.4 + 10*1.6 = 20 µ$
    [
      'Bedrock model ID',
      {
        'gen_ai.request.model': 'anthropic.claude-3-haiku-20240307-v1:0',
        'gen_ai.usage.input_tokens': 4000,
        'gen_ai.usage.output_tokens': 400,
      },
      0.0015,
      'table',
    ],
    // 4000*0.25 + 400*1.25 = 1000 + 500 = 1500 µ$
    [
      'legacy GenAI names',
      {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-3.5-turbo',
        'gen_ai.usage.prompt_tokens': 3,
        'gen_ai.usage.completion_tokens': 7,
      },
      0.000012,
      'table',
    ],
    // 3*0.5 + 7*1.5 = 12 µ$
    [
      'client-sent cost wins',
      {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 1000,
        'gen_ai.usage.cost': 0.5,
      },
      0.5,
      'client',
    ],
    [
      'client-sent cost wins for an unknown model',
      {
        'gen_ai.request.model': 'in-house-7b',
        'gen_ai.usage.input_tokens': 1000,
        'llm.cost.total': 0.0021,
      },
      0.0021,
      'client',
    ],
    [
      'unknown model is flagged, not $0',
      {
        'gen_ai.request.model': 'in-house-7b',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 10,
      },
      null,
      'unknown_model',
    ],
    ['no usage reported', { 'gen_ai.request.model': 'gpt-4o' }, null, 'no_usage'],
    [
      'token counts as strings (int64 as text)',
      {
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': '1000',
        'gen_ai.usage.output_tokens': '500',
      },
      0.00045,
      'table',
    ],
  ] as [string, Attributes, number | null, string][])('%s', (_name, attrs, usd, source) => {
    expect(cost(attrs)).toEqual({ usd, source });
  });
});

describe('a user price file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-prices-'));
  const file = join(dir, 'prices.json');
  writeFileSync(
    file,
    JSON.stringify({
      as_of: '2026-11-01',
      models: [
        { match: ['in-house-*'], input: 0.01, output: 0.02 },
        { match: ['gpt-4o'], input: 2, output: 8 }, // a negotiated rate beats the shipped one
      ],
    }),
  );
  const custom = loadPriceTable(file);

  it('prices models the shipped table does not know', () => {
    expect(
      cost(
        {
          'gen_ai.request.model': 'in-house-7b',
          'gen_ai.usage.input_tokens': 1000,
          'gen_ai.usage.output_tokens': 500,
        },
        custom,
      ),
    ).toEqual({ usd: 0.00002, source: 'table' });
  });

  it('overrides shipped entries and leaves the others', () => {
    expect(
      cost(
        {
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 1000,
          'gen_ai.usage.output_tokens': 0,
        },
        custom,
      ).usd,
    ).toBe(0.002);
    expect(
      cost(
        {
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 1000,
          'gen_ai.usage.output_tokens': 0,
        },
        custom,
      ).usd,
    ).toBe(0.00015);
  });

  it('is rejected with the field at fault', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ as_of: '2026-11-01', models: [{ match: ['x'], input: -1, output: 1 }] }),
    );
    expect(() => loadPriceTable(bad)).toThrow(/bad\.json: models\.0\.input: .*>=0/);
    writeFileSync(bad, '{');
    expect(() => loadPriceTable(bad)).toThrow(/bad\.json: not JSON/);
    expect(() => loadPriceTable(join(dir, 'missing.json'))).toThrow(
      /missing\.json: cannot read \(ENOENT\)/,
    );
  });
});

describe('the shipped table', () => {
  it('is dated and every entry has a pattern and non-negative prices', () => {
    const file = shippedPrices();
    expect(file.as_of).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(file.models.length).toBeGreaterThan(20);
    expect(new PriceTable(file).find('gemini-pro')).toBeDefined();
  });
});
