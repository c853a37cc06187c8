import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/config/options.js';
import { MAX_PENDING_CHARS, StdoutWriter } from '../src/log/stdout-writer.js';

const CHILD = fileURLToPath(new URL('./fixtures/stdout-child.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const SHUTDOWN_CHILD = fileURLToPath(
  new URL('./fixtures/stdout-shutdown-child.mjs', import.meta.url),
);

function start(lines: number, end: string, env: Record<string, string> = {}) {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npx tsc -b\` first`);
  return spawn(process.execPath, [CHILD, String(lines), end], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcessWithoutNullStreams;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcessWithoutNullStreams): Promise<Ended> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Resolves once `count` lines arrived on the child's stdout while it is still running. */
function linesWhileRunning(
  child: ChildProcessWithoutNullStreams,
  count: number,
  done: (text: string) => boolean = () => true,
): Promise<string> {
  let text = '';
  let seen = 0;
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      for (let at = d.indexOf('\n'); at !== -1; at = d.indexOf('\n', at + 1)) seen++;
      if (seen >= count && done(text)) resolve(text);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      reject(new Error(`child ended (${code ?? signal}) after ${seen} of ${count} lines`)),
    );
  });
}

/** Every line is JSON, numbered 0..lines-1 in order, each from the path its number chose. */
function expectComplete(stdout: string, lines: number): void {
  const raw = stdout.split('\n');
  expect(raw.pop()).toBe('');
  expect(raw).toHaveLength(lines);
  raw.forEach((text, i) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    if (line.i !== i) throw new Error(`line ${i} is ${text}`);
    const expected = ['flat_line', 'nested_line', 'other_line'][i % 3];
    if (line.event !== expected) throw new Error(`line ${i} should be ${expected}: ${text}`);
  });
}

describe('a child logging to its stdout by default', () => {
  it.each([
    ['ends on its own', 'natural', 0],
    ['calls process.exit(0)', 'exit', 0],
    ['throws an uncaught error', 'throw', 1],
  ])(
    'that %s writes all its lines, in order, across both write paths and two loggers',
    async (_, end, code) => {
      const r = await collect(start(300, end));
      expect(r.code).toBe(code);
      expectComplete(r.stdout, 300);
      if (end === 'throw') expect(r.stderr).toContain('child_failed_on_purpose');
      else expect(r.stderr).toBe('');
    },
  );

  it('writes the bytes a destination of its own gets (timestamps aside)', async () => {
    const r = await collect(start(30, 'natural', { COPY_TO_STDERR: '1' }));
    expect(r.code).toBe(0);
    const mask = (s: string) => s.replace(/"timestamp":"[^"]+"/g, '"timestamp":"T"');
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(mask(r.stdout)).toBe(mask(r.stderr));
  });

  it('writes lines while it keeps running (the batch timer, no exit)', async () => {
    const child = start(30, 'stay');
    try {
      expectComplete(await linesWhileRunning(child, 30), 30);
      expect(child.exitCode).toBe(null);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('writes each line at once with HOPSCOPE_LOG_FLUSH_MS=0, while it keeps running', async () => {
    const child = start(30, 'stay', { HOPSCOPE_LOG_FLUSH_MS: '0' });
    try {
      expectComplete(await linesWhileRunning(child, 30), 30);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it.each(['forceFlush', 'shutdown'])(
    'writes the pending batch when the init() handle is asked to %s',
    async (mode) => {
      if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npx tsc -b\` first`);
      const child = spawn(process.execPath, [SHUTDOWN_CHILD, mode], {
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }) as ChildProcessWithoutNullStreams;
      try {
        const text = await linesWhileRunning(child, 1, (t) => t.includes('MARKER\n'));
        const [before] = text.split('MARKER\n');
        const lines = (before ?? '').split('\n').filter((l) => l !== '');
        expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual([
          'before_flush',
        ]);
      } finally {
        child.kill('SIGKILL');
      }
    },
  );

  it('keeps a burst of 100k lines complete and in order up to process.exit()', async () => {
    const r = await collect(start(100_000, 'exit'));
    expect(r.code).toBe(0);
    expectComplete(r.stdout, 100_000);
  });

  it('waits out a reader that stops reading: while running and in the exit flush', async () => {
    // the paused reader fills the pipe: the child's writes come back short or EAGAIN
    const running = start(100_000, 'stay');
    running.stdout.pause();
    const exiting = start(100_000, 'exit');
    exiting.stdout.pause();
    const exited = collect(exiting);
    await new Promise((r) => setTimeout(r, 300));
    try {
      const text = linesWhileRunning(running, 100_000);
      running.stdout.resume();
      exiting.stdout.resume();
      expectComplete(await text, 100_000);
    } finally {
      running.kill('SIGKILL');
    }
    const r = await exited;
    expect(r.code).toBe(0);
    expectComplete(r.stdout, 100_000);
  });

  it('is not crashed by a stdout closed under it', async () => {
    const child = start(200_000, 'natural');
    const ended = collect(child);
    child.stdout.once('data', () => child.stdout.destroy());
    const r = await ended;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('logs with the defaults, warning once, when HOPSCOPE_LOG_FLUSH_MS is malformed', async () => {
    const r = await collect(start(30, 'natural', { HOPSCOPE_LOG_FLUSH_MS: 'soon' }));
    expect(r.code).toBe(0);
    expectComplete(r.stdout, 30);
    expect(r.stderr.match(/HopscopeConfigWarning/g)).toHaveLength(1);
    expect(r.stderr).toContain(
      'hopscope: option logFlushMs (from HOPSCOPE_LOG_FLUSH_MS) must be a number of milliseconds from 0 to 1000, got "soon"',
    );
  });
});

describe('StdoutWriter on a file descriptor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-stdout-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  function file(): { fd: number; text: () => string } {
    const path = join(dir, `out-${n++}.log`);
    const fd = openSync(path, 'w');
    return { fd, text: () => readFileSync(path, 'utf8') };
  }

  it('holds lines until flush() with an interval, in one write; 0 writes each at once', () => {
    const held = file();
    const batching = new StdoutWriter(held.fd, 1000);
    batching.write('a\n');
    batching.write('b\n');
    expect(held.text()).toBe('');
    batching.flush();
    expect(held.text()).toBe('a\nb\n');

    const direct = file();
    const eager = new StdoutWriter(direct.fd, 0);
    eager.write('a\n');
    expect(direct.text()).toBe('a\n');
    closeSync(held.fd);
    closeSync(direct.fd);
  });

  it('writes a batch at once when it outgrows the size limit, keeping order', () => {
    const out = file();
    const writer = new StdoutWriter(out.fd, 1000);
    const line = `${'x'.repeat(99)}\n`;
    const count = Math.ceil(MAX_PENDING_CHARS / line.length);
    for (let i = 0; i < count; i++) writer.write(line);
    expect(out.text()).toBe(line.repeat(count));
    writer.write('tail\n');
    writer.flushSync();
    expect(out.text()).toBe(`${line.repeat(count)}tail\n`);
    closeSync(out.fd);
  });

  it('goes quiet, never throwing, on a descriptor that fails (EBADF)', () => {
    const out = file();
    closeSync(out.fd);
    const writer = new StdoutWriter(out.fd, 0);
    expect(() => writer.write('lost\n')).not.toThrow();
    expect(() => writer.flushSync()).not.toThrow();
  });

  it('follows a new interval: switching to 0 writes what is pending', () => {
    const out = file();
    const writer = new StdoutWriter(out.fd, 1000);
    writer.write('a\n');
    writer.setFlushMs(0);
    expect(out.text()).toBe('a\n');
    closeSync(out.fd);
  });
});

describe('logFlushMs', () => {
  it('defaults to 20, reads HOPSCOPE_LOG_FLUSH_MS, the option winning', () => {
    expect(resolveOptions({}, {}).logFlushMs).toBe(20);
    expect(resolveOptions({}, { HOPSCOPE_LOG_FLUSH_MS: '0' }).logFlushMs).toBe(0);
    expect(resolveOptions({}, { HOPSCOPE_LOG_FLUSH_MS: ' 50 ' }).logFlushMs).toBe(50);
    expect(resolveOptions({ logFlushMs: 5 }, { HOPSCOPE_LOG_FLUSH_MS: '50' }).logFlushMs).toBe(5);
  });

  it.each([
    [-1, '-1'],
    [1001, '1001'],
    [Number.NaN, 'NaN'],
    ['20', '"20"'],
    [null, 'null'],
  ])('rejects the option %s precisely', (value, shown) => {
    expect(() => resolveOptions({ logFlushMs: value as number }, {})).toThrow(
      `hopscope: option logFlushMs must be a number of milliseconds from 0 to 1000, got ${shown}`,
    );
  });

  it.each(['soon', '-5', '2000', 'Infinity'])(
    'rejects HOPSCOPE_LOG_FLUSH_MS=%s naming it',
    (raw) => {
      expect(() => resolveOptions({}, { HOPSCOPE_LOG_FLUSH_MS: raw })).toThrow(
        `hopscope: option logFlushMs (from HOPSCOPE_LOG_FLUSH_MS) must be a number of milliseconds from 0 to 1000, got ${JSON.stringify(raw)}`,
      );
    },
  );
});
