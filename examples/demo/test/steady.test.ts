/**
 * `npm run demo` (dist/main.js): steady traffic reaches the server, Ctrl-C stops every process it
 * started, and even a SIGKILLed demo leaves no process behind (each child notices its parent is
 * gone: IPC channel, stdin, or the guard shell's stdin).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRoot, requireBuilt } from '../src/lib/paths.js';
import { assertSystemParts, skipHere, tempServer } from './system.js';

const main = join(demoRoot, 'dist', 'main.js');

/** Every live descendant of `pid`, from /proc (zombies count as gone). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parents.set(Number(entry), Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent === p) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(skipHere)('npm run demo', () => {
  let server: Awaited<ReturnType<typeof tempServer>> | undefined;

  beforeAll(async () => {
    assertSystemParts();
    requireBuilt([main]);
    server = await tempServer();
  });
  afterAll(async () => server?.close());

  async function startMain(): Promise<{
    proc: ChildProcess;
    output: () => string;
    pids: number[];
  }> {
    const proc = spawn(process.execPath, [main], {
      env: { ...process.env, HOPSCOPE_URL: server?.url, DEMO_RATE: '4' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await until('the demo banner', () => {
      if (proc.exitCode !== null) throw new Error(`demo exited ${proc.exitCode}:\n${output}`);
      return output.includes('Hopscope UI:');
    });
    // traffic flows: the gateway's lines for some requests are in the server
    await until('traffic in the server', async () => {
      const r = await fetch(`${server?.url}/api/debug/logs?service=gateway&limit=5`);
      const body = (await r.json()) as { count: number };
      return body.count > 0;
    });
    const pids = descendants(proc.pid as number);
    return { proc, output: () => output, pids };
  }

  it('prints the UI URL, sends traffic, and Ctrl-C stops every process it started', async () => {
    const { proc, output, pids } = await startMain();
    expect(output()).toContain(`Hopscope UI:  ${server?.url}`);
    // nats-server, the ingest follower, python-worker and the seven Node services (+ guard shells)
    expect(pids.length).toBeGreaterThanOrEqual(10);
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toContain('stopped.');
    await until('all children gone', () => pids.every((p) => !alive(p)), 15_000);
  });

  it('leaves no orphan when the demo itself is killed with SIGKILL', async () => {
    const { proc, pids } = await startMain();
    expect(pids.length).toBeGreaterThanOrEqual(10);
    proc.kill('SIGKILL');
    await until('all children gone', () => pids.every((p) => !alive(p)), 15_000);
    expect(existsSync(`/proc/${proc.pid}`) && alive(proc.pid as number)).toBe(false);
  });
});
