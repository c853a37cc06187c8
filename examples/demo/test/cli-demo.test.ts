/** `hopscope demo` input validation: precise messages and exit 2, before anything starts. */
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './system.js';

describe('hopscope demo arguments', () => {
  it.each([
    [['--requests', '0'], /--requests: expected an integer 1–10000, got "0"/],
    [['--requests', 'many'], /--requests: expected an integer 1–10000, got "many"/],
    [['--concurrency', '1.5'], /--concurrency: expected an integer 1–64, got "1.5"/],
    [['--server', 'ftp://x'], /server/i],
  ])('rejects %j', async (args, message) => {
    const run = await runCliInProcess(['demo', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('lists the demo in help', async () => {
    const run = await runCliInProcess(['demo', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--requests <n>');
    expect(run.stdout).toContain('--json');
  });
});
