import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { samplingFromFlags } from './flags.js';

describe('samplingFromFlags', () => {
  it('is off without flags', () => {
    expect(samplingFromFlags({})).toBeUndefined();
  });

  it('--sample-percent keeps errors, then slow traces when asked, then the percentage', () => {
    const c = samplingFromFlags({ percent: 10, slowerThanMs: 2000, waitMs: 3000 })!;
    expect(c.decision_wait).toBe(3000);
    expect(c.policies).toEqual([
      { type: 'errors', name: 'errors' },
      { type: 'latency', name: 'slow', threshold: 2000 },
      { type: 'probabilistic', name: 'percent', percent: 10 },
    ]);
  });

  it('reads YAML and JSON files; --sampling-wait overrides the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-sampling-flags-'));
    try {
      const yaml = join(dir, 's.yaml');
      writeFileSync(
        yaml,
        [
          'decision_wait: 5s',
          'policies:',
          '  - type: attribute',
          '    name: vip',
          '    key: user.id',
          '    values: [alice, bob]',
          '  - type: rate_limit',
          '    traces_per_second: 50',
        ].join('\n'),
      );
      expect(samplingFromFlags({ file: yaml })).toMatchObject({
        decision_wait: 5000,
        policies: [
          { name: 'vip', values: ['alice', 'bob'] },
          { name: 'rate_limit-1', traces_per_second: 50 },
        ],
      });
      const json = join(dir, 's.json');
      writeFileSync(json, JSON.stringify({ policies: [{ type: 'errors' }] }));
      expect(samplingFromFlags({ file: json, waitMs: 250 })?.decision_wait).toBe(250);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
