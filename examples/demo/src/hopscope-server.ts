/**
 * The Hopscope server the demo reports to: the one answering at the URL, or one started here
 * (embedded DuckDB in `dataDir`) when nothing answers.
 */
import { startServer } from '@hopscope/server';

export interface DemoServer {
  url: string;
  /** True when this process started it (and `close` stops it). */
  started: boolean;
  close(): Promise<void>;
}

export async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status < 500 || response.status === 503;
  } catch {
    return false;
  }
}

export async function ensureServer(url: string, dataDir: string): Promise<DemoServer> {
  if (await answers(url)) return { url, started: false, close: async () => {} };
  const wanted = Number(new URL(url).port || 80);
  const handle = await startServer({ port: wanted, grpcPort: false, dataDir }).catch(
    (error: NodeJS.ErrnoException) => {
      // the port is taken by something that is not a Hopscope server: use a free one
      if (error.code === 'EADDRINUSE') return startServer({ port: 0, grpcPort: false, dataDir });
      throw error;
    },
  );
  return { url: handle.url, started: true, close: () => handle.close() };
}
