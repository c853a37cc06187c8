import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SHIM = fileURLToPath(new URL('../bin/hopscope.js', import.meta.url));
const CLI_DIR = fileURLToPath(new URL('../../cli', import.meta.url));
const CLI_BIN = join(CLI_DIR, 'dist', 'bin.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runNode(script: string, args: string[], cwd: string): Promise<Result> {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: run \`npx tsc -b\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A project outside this repo with `hopscope` (the SDK, so its bin) installed as npm lays it out. */
function project(withCli: boolean): { dir: string; shim: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-shim-'));
  temps.push(dir);
  const sdk = join(dir, 'node_modules', 'hopscope');
  mkdirSync(join(sdk, 'bin'), { recursive: true });
  writeFileSync(join(sdk, 'package.json'), JSON.stringify({ name: 'hopscope', type: 'module' }));
  copyFileSync(SHIM, join(sdk, 'bin', 'hopscope.js'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  if (withCli) {
    mkdirSync(join(dir, 'node_modules', '@hopscope'));
    symlinkSync(CLI_DIR, join(dir, 'node_modules', '@hopscope', 'cli'), 'dir');
  }
  return { dir, shim: join(sdk, 'bin', 'hopscope.js') };
}

describe('the `hopscope` bin of the SDK package', () => {
  it('without @hopscope/cli says in one line how to install it', async () => {
    const { dir, shim } = project(false);
    // Node looks for packages in every folder above the project too: one there would be found.
    const above = createRequire(join(dir, 'package.json'));
    let found: string | undefined;
    try {
      found = above.resolve('@hopscope/cli/package.json');
    } catch {}
    if (found) throw new Error(`${found} is visible from ${dir}: remove it to run this test`);
    const r = await runNode(shim, ['trace', 'req_3f9a1c2b4d5e'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('npm i -D @hopscope/cli');
  });

  it('hands off to @hopscope/cli installed beside it: output, arguments and exit code', async () => {
    const { dir, shim } = project(true);
    const help = await runNode(shim, ['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: hopscope');
    expect(help.stdout).toMatch(/\bmcp\b/);
    const bad = await runNode(shim, ['trace', 'not an id!'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a request ID');
  });

  it('in this repo hands off to the workspace CLI', async () => {
    const r = await runNode(SHIM, ['--help'], tmpdir());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: hopscope');
  });
});
