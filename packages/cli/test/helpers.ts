import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { CliIO } from '../src/io.js';
import { run } from '../src/program.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Piped input; without it stdin is a terminal (so commands do not wait on it). */
  stdin?: string | Buffer | Readable;
  signal?: AbortSignal;
  /** Seen as a terminal of this many columns (colours stay off unless FORCE_COLOR). */
  columns?: number;
  /** stderr seen as a terminal (progress lines). */
  stderrTty?: boolean;
  /** Called with everything written to stdout so far, on every write. */
  onStdout?: (text: string) => void;
}

class Capture extends Writable {
  text = '';
  isTTY?: boolean;
  columns?: number;
  constructor(private readonly onText?: (text: string) => void) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += String(chunk);
    this.onText?.(this.text);
    cb();
  }
}

/** Runs `hopscope …` in-process with captured streams and an empty environment. */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const stdout = new Capture(opts.onStdout);
  const stderr = new Capture();
  if (opts.stderrTty) stderr.isTTY = true;
  if (opts.columns) {
    stdout.isTTY = true;
    stdout.columns = opts.columns;
  }
  const stdin: Readable & { isTTY?: boolean } =
    opts.stdin === undefined
      ? new Readable({ read() {} })
      : opts.stdin instanceof Readable
        ? opts.stdin
        : Readable.from([Buffer.from(opts.stdin)]);
  if (opts.stdin === undefined) stdin.isTTY = true;
  const io: CliIO = {
    stdout,
    stderr,
    stdin,
    env: opts.env ?? {},
    signal: opts.signal ?? new AbortController().signal,
  };
  const code = await run(['node', 'hopscope', ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves when `check` passes, polling; rejects with the last failure after `ms`. */
export async function eventually<T>(check: () => T | Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A DESIGN.md log line. */
export function designLine(fields: Record<string, unknown>): string {
  return JSON.stringify({ level: 'info', ...fields });
}
