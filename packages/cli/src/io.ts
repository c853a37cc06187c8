import type { Readable, Writable } from 'node:stream';

/** A terminal stream: process.stdout in real use, a capturing stream in tests. */
export type OutStream = Writable & { isTTY?: boolean; columns?: number };

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: `--follow` modes flush, print their summary and return. */
  signal: AbortSignal;
}

/**
 * The real process. Ctrl-C handling is installed only when a command asks for `signal` (the
 * `--follow` modes), so commands that never read it (`serve`) keep their own or the default.
 */
export function processIO(): CliIO {
  let controller: AbortController | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    get signal() {
      if (!controller) {
        const own = new AbortController();
        controller = own;
        process.on('SIGINT', () => {
          // First Ctrl-C: flush and summarise; a second one exits at once.
          if (own.signal.aborted) process.exit(130);
          own.abort();
        });
      }
      return controller.signal;
    },
  };
}

/** Writes and waits for the stream to drain, so a slow pipe bounds memory instead of a buffer. */
export async function write(stream: OutStream, text: string): Promise<void> {
  if (stream.destroyed) return;
  if (stream.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
