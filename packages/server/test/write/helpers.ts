import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerHandle, type ServerOptions, startServer } from '../../src/server.js';

/** A fresh data folder in the OS temp dir, removed by `cleanup`. */
export function tempDir(prefix = 'hopscope-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real server on ephemeral ports with its own temp DuckDB file. */
export async function testServer(
  options: ServerOptions = {},
): Promise<ServerHandle & { dir: string; stop: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const server = await startServer({ port: 0, grpcPort: 0, dataDir: dir, ...options });
  return {
    ...server,
    dir,
    close: server.close,
    stop: async () => {
      await server.close();
      cleanup();
    },
  };
}

export function hex(bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}
