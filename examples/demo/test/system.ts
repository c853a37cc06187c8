/**
 * Shared by the demo's tests: whether this machine has the system parts (skip locally, fail
 * under CI), a real Hopscope server in a temp dir, and the CLI as a real process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { run } from '@hopscope/cli';
import { startServer } from '@hopscope/server';
import { cliBin } from '../src/lib/paths.js';
import { missingSystemParts } from '../src/lib/system.js';

export const missing = missingSystemParts();
/** `describe.skipIf(skipHere)`: true only when parts are missing and CI is not set. */
export const skipHere = missing !== undefined && !process.env.CI;

export function assertSystemParts(): void {
  if (missing !== undefined) throw new Error(missing);
}

export async function tempServer() {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-demo-test-'));
  const handle = await startServer({ port: 0, grpcPort: false, dataDir: join(dir, 'data') });
  return {
    url: handle.url,
    dir,
    async close() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function runCli(
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`hopscope ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** `hopscope <args>` run in-process (the same command code, without a process start each). */
export async function runCliInProcess(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await run(['node', 'hopscope', ...args], {
    stdout,
    stderr,
    stdin: new Readable({ read() {} }),
    env: {},
    signal: new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
