import { describe, expect, it } from 'vitest';
import type { LogLevel, LogRecord, SpanRecord, WriteBatch } from '../../store/records.js';
import { parseSamplingConfig, type SamplingConfigInput } from './config.js';
import { probabilityThreshold, traceRandomness } from './policies.js';
import { TailSampler } from './tail-sampler.js';

const MS = 1_000_000n;

function span(traceId: string, over: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId,
    spanId: Math.floor(Math.random() * 2 ** 48)
      .toString(16)
      .padStart(16, '0'),
    name: 'GET /',
    kind: 2,
    service: 'web',
    startNs: 1_700_000_000_000n * MS,
    durationNs: 5n * MS,
    statusCode: 0,
    attributes: {},
    resource: { 'service.name': 'web' },
    events: [],
    links: [],
    ...over,
  };
}

function log(traceId: string | undefined, level: LogLevel = 'info'): LogRecord {
  return {
    timestampNs: 1_700_000_000_000n * MS,
    severityNumber: 9,
    level,
    service: 'web',
    body: 'hello',
    traceId,
    attributes: {},
    resource: {},
    source: 'otlp',
  };
}

/** A trace ID whose randomness (last 56 bits) is `r` of 2^56, for probabilistic tests. */
function traceWithRandomness(prefix: string, fraction: number): string {
  const r = BigInt(Math.floor(fraction * 2 ** 52)) * 16n;
  return prefix.padEnd(18, '0') + r.toString(16).padStart(14, '0');
}

function tid(n: number): string {
  // Randomness bits all ones: above every probabilistic threshold below 100%, so the
  // catch-all "drop" in tests comes from percent 0.
  return `${n.toString(16).padStart(18, '0')}${'f'.repeat(14)}`;
}

function sampler(input: Partial<SamplingConfigInput> & Pick<SamplingConfigInput, 'policies'>) {
  return new TailSampler(parseSamplingConfig({ decision_wait: 1000, ...input }));
}

const ids = (b: WriteBatch) => [...new Set(b.spans.map((s) => s.traceId))].sort();

describe('policies, first keep wins', () => {
  const s = () =>
    sampler({
      policies: [
        { type: 'errors', name: 'errors' },
        {
          type: 'latency',
          name: 'slow-pay',
          threshold: '500ms',
          service: 'pay',
          operation: 'charge',
        },
        { type: 'latency', name: 'slow-trace', threshold: '2s' },
        { type: 'attribute', name: 'vip', key: 'user.id', values: ['u1', 'u2'] },
        { type: 'attribute', name: 'has-model', key: 'gen_ai.request.model' },
        { type: 'probabilistic', name: 'rest', percent: 0 },
      ],
    });

  it('keeps each kind for the right policy and drops the rest', () => {
    const t = s();
    const batch: WriteBatch = {
      spans: [
        span(tid(1), { statusCode: 2 }),
        span(tid(2), { service: 'pay', name: 'charge', durationNs: 600n * MS }),
        span(tid(3), { service: 'pay', name: 'refund', durationNs: 600n * MS }), // other op
        span(tid(4), { service: 'web', name: 'charge', durationNs: 600n * MS }), // other service
        // Two spans 2.5 s apart, each short: the trace is slow.
        span(tid(5), { startNs: 0n, durationNs: MS }),
        span(tid(5), { startNs: 2500n * MS, durationNs: MS }),
        span(tid(6), { attributes: { 'user.id': 'u2' } }),
        span(tid(7), { attributes: { 'user.id': 'u9' } }),
        span(tid(8), { resource: { 'gen_ai.request.model': 'gpt-4o' } }),
        span(tid(9), { statusCode: 2, attributes: { 'user.id': 'u1' } }), // errors wins first
      ],
      logs: [],
    };
    expect(t.offer(batch, 0).spans).toHaveLength(0);
    expect(t.due(999).spans).toHaveLength(0); // window not over
    const out = t.due(1000);
    expect(ids(out)).toEqual([tid(1), tid(2), tid(5), tid(6), tid(8), tid(9)].sort());
    expect(out.spans.filter((x) => x.traceId === tid(5))).toHaveLength(2);
    expect(t.counts.policies.map((p) => [p.name, p.kept, p.declined])).toEqual([
      ['errors', 2, 7],
      ['slow-pay', 1, 6],
      ['slow-trace', 1, 5],
      ['vip', 1, 4],
      ['has-model', 1, 3],
      ['rest', 0, 3],
    ]);
    expect(t.counts.traces).toEqual({ kept: 6, dropped: 3 });
    expect(t.counts.spans).toEqual({ kept: 7, dropped: 3 });
  });

  it('attribute values compare as text; value and key-exists forms', () => {
    const t = sampler({
      policies: [
        { type: 'attribute', key: 'tenant', value: 42 },
        { type: 'attribute', key: 'flag', value: true },
        { type: 'attribute', key: 'request.id', value: 'req_0123456789ab' },
        { type: 'probabilistic', percent: 0 },
      ],
    });
    t.offer(
      {
        spans: [
          span(tid(1), { attributes: { tenant: '42' } }),
          span(tid(2), { attributes: { tenant: 43 } }),
          span(tid(3), { attributes: { flag: true } }),
          span(tid(4), { attributes: { flag: 'false' } }),
          span(tid(5), { attributes: { tenant: [41, 42] } }),
          span(tid(6), { requestId: 'req_0123456789ab' }), // promoted from an alias
        ],
        logs: [],
      },
      0,
    );
    expect(ids(t.due(1000))).toEqual([tid(1), tid(3), tid(5), tid(6)]);
  });
});

describe('decision window', () => {
  it('counts from the last record of the trace, not the first', () => {
    const t = sampler({ policies: [{ type: 'probabilistic', percent: 100 }] });
    t.offer({ spans: [span(tid(1))], logs: [] }, 0);
    t.offer({ spans: [span(tid(1))], logs: [] }, 800);
    expect(t.due(1000).spans).toHaveLength(0);
    expect(t.due(1799).spans).toHaveLength(0);
    expect(t.due(1800).spans).toHaveLength(2);
    expect(t.bufferedTraces).toBe(0);
    expect(t.bufferedRecords).toBe(0);
  });
});

describe('late records follow the decision', () => {
  it('while the decision is remembered, and are decided afresh after it is forgotten', () => {
    const t = sampler({
      decision_cache_ttl: 5000,
      policies: [{ type: 'errors' }, { type: 'probabilistic', percent: 0 }],
    });
    t.offer({ spans: [span(tid(1), { statusCode: 2 }), span(tid(2))], logs: [] }, 0);
    expect(ids(t.due(1000))).toEqual([tid(1)]);
    // Late: the kept trace's span is written at once, the dropped trace's is dropped.
    const late = t.offer(
      { spans: [span(tid(1)), span(tid(2), { statusCode: 2 })], logs: [] },
      2000,
    );
    expect(ids(late)).toEqual([tid(1)]);
    expect(t.counts.late).toEqual({ kept: 1, dropped: 1 });
    expect(t.bufferedTraces).toBe(0);
    // After the TTL the decision is gone: a new span starts a new window.
    expect(t.offer({ spans: [span(tid(1))], logs: [] }, 7000).spans).toHaveLength(0);
    expect(t.bufferedTraces).toBe(1);
    expect(t.due(8000).spans).toHaveLength(0); // no error this time: dropped
  });

  it('remembers at most decision_cache_size decisions, forgetting the oldest', () => {
    const t = sampler({
      decision_cache_size: 2,
      policies: [{ type: 'probabilistic', percent: 100 }],
    });
    t.offer({ spans: [span(tid(1)), span(tid(2)), span(tid(3))], logs: [] }, 0);
    t.due(1000);
    expect(t.offer({ spans: [span(tid(1))], logs: [] }, 1001).spans).toHaveLength(0); // forgotten
    expect(t.offer({ spans: [span(tid(3))], logs: [] }, 1001).spans).toHaveLength(1); // remembered
  });
});

describe('logs', () => {
  it('follow their trace unless warn or above; logs without a trace pass at once', () => {
    const t = sampler({ policies: [{ type: 'errors' }, { type: 'probabilistic', percent: 0 }] });
    const now = t.offer(
      {
        spans: [span(tid(1)), span(tid(2), { statusCode: 2 })],
        logs: [log(tid(1)), log(tid(1), 'warn'), log(tid(4), 'error'), log(tid(2)), log(undefined)],
      },
      0,
    );
    expect(now.logs.map((l) => [l.traceId, l.level])).toEqual([
      [tid(1), 'warn'],
      [tid(4), 'error'],
      [undefined, 'info'],
    ]);
    const decided = t.due(1000);
    expect(decided.logs.map((l) => l.traceId)).toEqual([tid(2)]);
    expect(t.counts.logs).toEqual({ kept: 1, dropped: 1, passed: 3 });
    // A late info line of the dropped trace is dropped; of the kept one, written.
    expect(
      t.offer({ spans: [], logs: [log(tid(1)), log(tid(2))] }, 1500).logs.map((l) => l.traceId),
    ).toEqual([tid(2)]);
  });
});

describe('an error log line makes its trace an error trace', () => {
  it('whether it comes before or after the spans', () => {
    const t = sampler({ policies: [{ type: 'errors' }, { type: 'probabilistic', percent: 0 }] });
    const now = t.offer(
      { spans: [], logs: [log(tid(1), 'error'), log(tid(1)), log(tid(2), 'warn')] },
      0,
    );
    expect(now.logs.map((l) => l.level)).toEqual(['error', 'warn']);
    t.offer(
      { spans: [span(tid(1)), span(tid(2)), span(tid(3))], logs: [log(tid(3), 'fatal')] },
      10,
    );
    const out = t.due(2000);
    expect(ids(out)).toEqual([tid(1), tid(3)]); // warn alone does not keep tid(2)
    expect(out.logs.map((l) => [l.traceId, l.level])).toEqual([[tid(1), 'info']]);
  });
});

describe('bounded memory', () => {
  it('decides the stalest traces early past max_buffered_records, and counts them', () => {
    const t = sampler({
      max_buffered_records: 3,
      policies: [{ type: 'probabilistic', percent: 100 }],
    });
    t.offer({ spans: [span(tid(1)), span(tid(1))], logs: [] }, 0);
    t.offer({ spans: [span(tid(2))], logs: [] }, 10);
    // tid(1) becomes the most recently active; the 4th record sheds the stalest, tid(2).
    const out = t.offer({ spans: [span(tid(1))], logs: [] }, 20);
    expect(ids(out)).toEqual([tid(2)]);
    expect(t.counts.early.max_records).toBe(1);
    expect(t.bufferedRecords).toBe(3);
    expect(t.bufferedTraces).toBe(1);
  });

  it('past max_buffered_traces', () => {
    const t = sampler({
      max_buffered_traces: 2,
      policies: [{ type: 'probabilistic', percent: 100 }],
    });
    const out = t.offer(
      { spans: [span(tid(1)), span(tid(2)), span(tid(3)), span(tid(4))], logs: [] },
      0,
    );
    expect(ids(out)).toEqual([tid(1), tid(2)]);
    expect(t.counts.early.max_traces).toBe(2);
    expect(t.bufferedTraces).toBe(2);
  });
});

describe('rate limit', () => {
  it('keeps N traces per second of the injected clock', () => {
    const t = sampler({
      policies: [
        { type: 'rate_limit', traces_per_second: 2 },
        { type: 'probabilistic', percent: 0 },
      ],
    });
    t.offer({ spans: [1, 2, 3, 4, 5].map((n) => span(tid(n))), logs: [] }, 0);
    expect(t.due(1000).spans).toHaveLength(2); // the bucket starts full: 2
    t.offer({ spans: [6, 7, 8].map((n) => span(tid(n))), logs: [] }, 500);
    expect(t.due(1500).spans).toHaveLength(1); // 500 ms refilled one token
    t.offer({ spans: [9, 10, 11].map((n) => span(tid(n))), logs: [] }, 1500);
    expect(t.due(10_000).spans).toHaveLength(2); // refill caps at one second's worth
  });
});

describe('probabilistic', () => {
  it('is decided by the trace ID alone, so every collector agrees', () => {
    const cfg = { policies: [{ type: 'probabilistic' as const, percent: 10 }] };
    const below = traceWithRandomness('aa', 0.89);
    const above = traceWithRandomness('bb', 0.91);
    for (let run = 0; run < 2; run++) {
      const t = sampler(cfg);
      t.offer({ spans: [span(below), span(above)], logs: [] }, run * 77);
      expect(ids(t.due(run * 77 + 1000))).toEqual([above]);
    }
  });

  it('keeps close to the configured share of random trace IDs', () => {
    const t = sampler({ policies: [{ type: 'probabilistic', percent: 25 }] });
    const spans: SpanRecord[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = [...crypto.getRandomValues(new Uint8Array(16))]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('');
      spans.push(span(id));
    }
    t.offer({ spans, logs: [] }, 0);
    const kept = t.due(1000).spans.length;
    expect(kept / 20_000).toBeGreaterThan(0.23);
    expect(kept / 20_000).toBeLessThan(0.27);
  });

  it('thresholds: 100% keeps every ID, 0% none', () => {
    expect(traceRandomness('0'.repeat(32)) >= probabilityThreshold(100)).toBe(true);
    expect(traceRandomness('f'.repeat(32)) >= probabilityThreshold(0)).toBe(false);
  });
});

describe('configuration errors name the field and the problem', () => {
  const problem = (input: unknown) => {
    try {
      parseSamplingConfig(input, 'sampling.yaml');
    } catch (err) {
      return (err as Error).message;
    }
    return 'valid';
  };

  it.each([
    [{}, 'policies: '],
    [{ policies: [] }, 'policies: expected at least one policy'],
    [{ policies: [{ type: 'latency' }] }, 'policies[0].threshold'],
    [
      { policies: [{ type: 'latency', threshold: 'soon' }] },
      'policies[0].threshold: expected a duration',
    ],
    [
      { policies: [{ type: 'probabilistic', percent: 150 }] },
      'policies[0].percent: expected 0–100',
    ],
    [{ policies: [{ type: 'nope' }] }, 'policies[0].type'],
    [{ policies: [{ type: 'errors', colour: 1 }] }, 'colour'],
    [
      { policies: [{ type: 'attribute', key: 'a', value: 1, values: [2] }] },
      'policies[0].values: give value or values',
    ],
    [
      {
        policies: [
          { type: 'errors', name: 'a' },
          { type: 'errors', name: 'a' },
        ],
      },
      'policies[1].name: duplicate',
    ],
    [{ decision_wait: -1, policies: [{ type: 'errors' }] }, 'decision_wait'],
  ])('%j', (input, expected) => {
    const msg = problem(input);
    expect(msg).toContain('sampling.yaml: invalid sampling configuration');
    expect(msg).toContain(expected);
  });

  it('fills defaults and names policies', () => {
    const c = parseSamplingConfig({
      policies: [{ type: 'errors' }, { type: 'latency', threshold: '1.5s' }],
    });
    expect(c.decision_wait).toBe(10_000);
    expect(c.policies.map((p) => p.name)).toEqual(['errors-0', 'latency-1']);
    expect(c.policies[1]).toMatchObject({ threshold: 1500 });
  });
});
