/**
 * Rule files are validated on load: each problem names file, line, column, key path and what
 * was expected; a server given a bad file refuses to start with that message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertRulesError, loadAlertRules, parseAlertRulesText } from '../../src/alerts/index.js';
import { startServer } from '../../src/server.js';

const dir = mkdtempSync(join(tmpdir(), 'hopscope-alert-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problem(text: string, file = 'rules.yaml'): string {
  try {
    parseAlertRulesText(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(AlertRulesError);
    return (err as Error).message;
  }
  throw new Error('expected the rules to be refused');
}

const GOOD = `evaluation_interval: 15s
webhooks:
  - name: ops
    url: https://hooks.example.com/ops
    format: slack
rules:
  - name: gateway-errors
    kind: error_rate
    service: gateway
    threshold: 0.05
    window: 5m
    for: 1m
  - name: llm-latency
    kind: latency
    service: agent
    operation: chat gpt-4o
    where: { gen_ai.request.model: gpt-4o }
    percentile: p99
    threshold_ms: 8000
  - name: checkout-slo
    kind: burn_rate
    service: gateway
    objective: 0.999
  - name: sandbox-silent
    kind: no_data
    service: sandbox
    window: 10m
    notify: [ops]
`;

describe('alert rules file', () => {
  it('loads a good file with defaults filled in', () => {
    const f = parseAlertRulesText(GOOD);
    expect(f.evaluation_interval).toBe(15_000);
    expect(f.rules.map((r) => r.kind)).toEqual(['error_rate', 'latency', 'burn_rate', 'no_data']);
    const burn = f.rules[2];
    expect(burn.kind === 'burn_rate' && burn.windows).toEqual([
      { long: 3_600_000, short: 300_000, factor: 14.4 },
      { long: 21_600_000, short: 1_800_000, factor: 6 },
    ]);
    expect(f.rules[1].where).toEqual([{ key: 'gen_ai.request.model', value: 'gpt-4o' }]);
    expect(f.rules[0].for).toBe(60_000);
  });

  it('names the line, the key and the problem of a bad value', () => {
    const bad = GOOD.replace('threshold: 0.05', 'threshold: 1.5');
    expect(problem(bad)).toMatch(/^alert rules rules\.yaml:10:16: rules\[0\]\.threshold: .*<\s*1/);
  });

  it('names a misspelt key at its own line', () => {
    const bad = GOOD.replace('    window: 5m\n', '    windw: 5m\n');
    expect(problem(bad)).toBe('alert rules rules.yaml:11:5: rules[0].windw: unknown key "windw"');
  });

  it('names an unknown kind and a bad duration', () => {
    expect(problem(GOOD.replace('kind: latency', 'kind: latncy'))).toMatch(
      /^alert rules rules\.yaml:14:11: rules\[1\]\.kind: .*error_rate, latency, error_spike, burn_rate, no_data/,
    );
    expect(problem(GOOD.replace('for: 1m', 'for: 1 minute'))).toBe(
      'alert rules rules.yaml:12:10: rules[0].for: expected a duration like 30s, 5m, 1h or 1h30m, got "1 minute"',
    );
  });

  it('names a missing key at its parent', () => {
    const bad = GOOD.replace('    threshold_ms: 8000\n', '');
    expect(problem(bad)).toMatch(
      /^alert rules rules\.yaml:13:5: rules\[1\]\.threshold_ms \(missing\): required, expected number$/,
    );
  });

  it('refuses references to unknown webhooks and duplicate names', () => {
    expect(problem(GOOD.replace('notify: [ops]', 'notify: [pager]'))).toBe(
      'alert rules rules.yaml:28:14: rules[3].notify[0]: no webhook named "pager" (webhooks: ops)',
    );
    expect(problem(GOOD.replace('name: llm-latency', 'name: gateway-errors'))).toBe(
      'alert rules rules.yaml:13:11: rules[1].name: duplicate rule name "gateway-errors"',
    );
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problem('rules:\n  - name: a\n    kind: [error_rate\n')).toMatch(
      /^alert rules rules\.yaml:\d+:\d+: /,
    );
    expect(problem('rules:\n  - name: a\n  name: b\n')).toMatch(/^alert rules rules\.yaml:3:/);
  });

  it('reads JSON with positions too', () => {
    const json = JSON.stringify(
      { rules: [{ name: 'x', kind: 'error_rate', service: 's', threshold: 'high' }] },
      null,
      2,
    );
    const file = join(dir, 'rules.json');
    writeFileSync(file, json);
    expect(() => loadAlertRules(file)).toThrow(
      `alert rules ${file}:7:20: rules[0].threshold: Invalid input: expected number, received string`,
    );
  });

  it('a server given a bad file refuses to start, naming the problem', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, GOOD.replace('objective: 0.999', 'objective: 99.9'));
    await expect(
      startServer({ port: 0, grpcPort: false, dataDir: join(dir, 'data'), alertsFile: file }),
    ).rejects.toThrow(new RegExp(`^alert rules ${file}:23:16: rules\\[2\\]\\.objective: `));
  });
});

describe('the README example', () => {
  it('loads as documented', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Alerts'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const f = parseAlertRulesText(yaml ?? '', 'README.md');
    expect(f.rules.map((r) => r.kind)).toEqual([
      'error_rate',
      'latency',
      'error_spike',
      'burn_rate',
      'no_data',
    ]);
    expect(f.webhooks.map((w) => w.format)).toEqual(['json', 'slack']);
  });
});
