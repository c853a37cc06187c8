/** `hopscope serve --peers/--self`: a list the collector cannot route by is a usage error (exit 2). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-cli-peers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serve = (extra: string[]) =>
  runCli(['serve', '--port', '0', '--grpc-port', 'off', '--data', join(dir, 'data'), ...extra]);

describe('serve peers flags: usage errors (exit 2)', () => {
  it('a peer that is not an origin URL is named', async () => {
    const { code, stderr } = await serve(['--peers', 'http://10.0.0.1:4318,10.0.0.2']);
    expect(code).toBe(2);
    expect(stderr).toContain('--peers: peer "10.0.0.2" is not a URL');
  });

  it('--self must be one of --peers, and means nothing without it', async () => {
    const missing = await serve([
      '--peers',
      'http://10.0.0.1:4318,http://10.0.0.2:4318',
      '--self',
      'http://10.0.0.3:4318',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      '--self: this collector (http://10.0.0.3:4318) is not in the peers list',
    );
    const alone = await serve(['--self', 'http://10.0.0.1:4318']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--self: only meaningful with --peers');
  });
});
