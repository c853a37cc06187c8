import { type FileHandle, open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FollowOptions {
  /** Start at the end of the file (only new lines), instead of the beginning. */
  fromEnd: boolean;
  signal: AbortSignal;
  pollMs?: number;
  /** Told when the file is replaced (rotated), truncated, or missing. */
  onEvent?: (event: 'rotated' | 'truncated' | 'waiting') => void;
}

const READ_SIZE = 256 * 1024;

/**
 * Chunks of a file as it grows, like `tail -F`: when the name is moved away and recreated
 * (logrotate), the old file is read to its end and the new one from its start; when the file is
 * truncated in place (copytruncate), reading restarts at 0. Polls, because fs.watch misses
 * renames on some filesystems. Ends when `signal` aborts.
 */
export async function* followChunks(path: string, opts: FollowOptions): AsyncGenerator<Buffer> {
  const pollMs = opts.pollMs ?? 250;
  let handle: FileHandle | undefined;
  let ino = -1;
  let pos = 0;
  let endsWithNewline = true;
  let first = true;
  let waitingReported = false;

  try {
    while (!opts.signal.aborted) {
      if (!handle) {
        handle = await open(path, 'r').catch(() => undefined);
        if (handle) {
          const info = await handle.stat();
          ino = info.ino;
          pos = first && opts.fromEnd ? info.size : 0;
          waitingReported = false;
        } else if (!waitingReported) {
          opts.onEvent?.('waiting');
          waitingReported = true;
        }
        first = false;
      }
      if (handle) {
        for (;;) {
          const buffer = Buffer.allocUnsafe(READ_SIZE);
          const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          endsWithNewline = buffer[bytesRead - 1] === 10;
          yield buffer.subarray(0, bytesRead);
        }
        const current = await stat(path).catch(() => undefined);
        if (current && current.ino !== ino) {
          // Rotated: the old file is fully read; a last line without newline still counts.
          if (!endsWithNewline) yield Buffer.from('\n');
          endsWithNewline = true;
          await handle.close();
          handle = undefined;
          opts.onEvent?.('rotated');
          continue;
        }
        if (current && current.size < pos) {
          if (!endsWithNewline) yield Buffer.from('\n');
          endsWithNewline = true;
          pos = 0;
          opts.onEvent?.('truncated');
          continue;
        }
      }
      try {
        await sleep(pollMs, undefined, { signal: opts.signal });
      } catch {
        break;
      }
    }
  } finally {
    await handle?.close();
  }
}
