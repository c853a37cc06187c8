/**
 * Starts the demo's platform as real processes on 127.0.0.1: nats-server (JetStream), the Node
 * services (one process each), the FastAPI python-worker, and `hopscope ingest --follow` for the
 * worker's log file. Each child leads its own process group, so stopping kills whatever it
 * spawned too; Node children also stop when their IPC channel to us closes, and the Python
 * worker when its stdin does, so even a killed demo leaves nothing behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import {
  cliBin,
  pythonSource,
  pythonWorkerScript,
  requireBuilt,
  serviceScript,
} from './lib/paths.js';
import { findNatsServer, findPython, missingSystemParts } from './lib/system.js';

export const NODE_SERVICES = [
  'llm-provider',
  'llm-gateway',
  'ingestion',
  'agent',
  'sandy',
  'baseline',
  'gateway',
] as const;

export interface TopologyOptions {
  /** The Hopscope server the services export to and the worker's lines are ingested into. */
  hopscopeUrl: string;
  /** Folder for the services' output and the python-worker log file. */
  workDir: string;
  /** Random 429s and slow calls in the provider (steady traffic); off for scripted runs. */
  randomFaults?: boolean;
  /** A marker put in every child's environment (tests find the processes by it). */
  runId?: string;
  /** Start only these Node services (default all); nats-server only when one of them needs it. */
  only?: ReadonlyArray<(typeof NODE_SERVICES)[number]>;
}

const NATS_USERS = new Set(['ingestion', 'agent', 'sandy', 'baseline']);

export interface Topology {
  gatewayUrl: string;
  urls: Record<string, string>;
  logDir: string;
  pythonLogFile: string;
  /** Process ids of the children (each also a process group id). */
  pids(): number[];
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  name: string;
  proc: ChildProcess;
  output: string;
}

export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const missing = missingSystemParts();
  if (missing !== undefined) throw new Error(missing);
  const scripts = NODE_SERVICES.map(serviceScript);
  requireBuilt([...scripts, cliBin]);
  const nats = findNatsServer() as string;
  const python = findPython() as string;

  const logDir = join(options.workDir, 'logs');
  mkdirSync(join(options.workDir, 'nats'), { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const pythonLogFile = join(logDir, 'python-worker.jsonl');
  writeFileSync(pythonLogFile, '');

  const names = ['nats', 'python-worker', ...NODE_SERVICES];
  const ports = Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await freePort()] as const)),
  );
  const urls: Record<string, string> = {};
  for (const n of names)
    urls[n] = n === 'nats' ? `nats://127.0.0.1:${ports[n]}` : `http://127.0.0.1:${ports[n]}`;

  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOPSCOPE_URL: options.hopscopeUrl,
    HOPSCOPE_DEMO_RUN: options.runId ?? '',
    DEMO_NATS_URL: urls.nats,
    DEMO_PROVIDER_URL: urls['llm-provider'],
    DEMO_LLM_GATEWAY_URL: urls['llm-gateway'],
    DEMO_PYTHON_URL: urls['python-worker'],
    DEMO_SANDY_URL: urls.sandy,
    DEMO_BASELINE_URL: urls.baseline,
    DEMO_RANDOM_FAULTS: options.randomFaults ? '1' : '0',
    NODE_OPTIONS: '',
  };
  const children: Child[] = [];
  const killAll = (signal: NodeJS.Signals) => {
    for (const c of children) {
      if (c.proc.exitCode !== null || c.proc.signalCode !== null || c.proc.pid === undefined)
        continue;
      try {
        process.kill(-c.proc.pid, signal);
      } catch {
        // already gone
      }
    }
  };
  const onExit = () => killAll('SIGKILL');
  process.on('exit', onExit);

  /**
   * `stop` is how a child is told to end when the parent dies without a word (SIGKILL): Node
   * services see their IPC channel close, the Python worker its stdin; anything else runs under
   * a shell that waits on stdin and kills it at EOF.
   */
  const launch = (
    name: string,
    cmd: string,
    args: string[],
    extra: NodeJS.ProcessEnv,
    stop: 'ipc' | 'stdin' | 'guard',
  ): Child => {
    const out = openSync(join(logDir, `${name}.out`), 'a');
    const [file, argv] =
      stop === 'guard'
        ? ['/bin/sh', ['-c', '"$@" <&- & read _; kill $! 2>/dev/null; wait', 'guard', cmd, ...args]]
        : [cmd, args];
    const proc = spawn(file, argv, {
      detached: true, // its own process group: stopping it stops its children
      env: { ...baseEnv, ...extra },
      stdio: [
        stop === 'ipc' ? 'ignore' : 'pipe',
        out,
        out,
        ...(stop === 'ipc' ? ['ipc' as const] : []),
      ],
    });
    closeSync(out);
    const child: Child = { name, proc, output: join(logDir, `${name}.out`) };
    children.push(child);
    return child;
  };

  const exited = (c: Child) =>
    new Error(
      `demo: ${c.name} exited during start (code ${c.proc.exitCode}); its output is in ${c.output}`,
    );

  const readyByIpc = (c: Child) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`demo: ${c.name} not ready within 30 s; see ${c.output}`)),
        30_000,
      );
      c.proc.on('message', (m) => {
        if ((m as { type?: string }).type === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      c.proc.once('exit', () => {
        clearTimeout(timer);
        reject(exited(c));
      });
    });

  const readyByPort = async (c: Child, port: number, path?: string) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (c.proc.exitCode !== null) throw exited(c);
      if (
        path === undefined
          ? await canConnect(port)
          : await httpOk(`http://127.0.0.1:${port}${path}`)
      )
        return;
      await sleep(100);
    }
    throw new Error(`demo: ${c.name} not ready within 30 s; see ${c.output}`);
  };

  const stop = async () => {
    process.off('exit', onExit);
    // the ingest follower last: it sends what it read when stopped
    const order = [...children].reverse();
    killAll('SIGTERM');
    await Promise.all(
      order.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              try {
                if (c.proc.pid !== undefined) process.kill(-c.proc.pid, 'SIGKILL');
              } catch {
                // gone
              }
            }, 5000);
            c.proc.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  };

  try {
    const selected = NODE_SERVICES.filter(
      (n) => options.only === undefined || options.only.includes(n),
    );
    if (selected.some((n) => NATS_USERS.has(n))) {
      const natsChild = launch(
        'nats',
        nats,
        ['-a', '127.0.0.1', '-p', String(ports.nats), '-js', '-sd', join(options.workDir, 'nats')],
        {},
        'guard',
      );
      await readyByPort(natsChild, ports.nats);
    }

    const follower = launch(
      'ingest',
      process.execPath,
      [
        cliBin,
        'ingest',
        '--follow',
        '--no-progress',
        '--service',
        'python-worker',
        '--server',
        options.hopscopeUrl,
        pythonLogFile,
      ],
      {},
      'guard',
    );
    const worker = launch(
      'python-worker',
      python,
      [pythonWorkerScript],
      {
        PYTHONPATH: pythonSource,
        DEMO_PORT: String(ports['python-worker']),
        DEMO_LOG_FILE: pythonLogFile,
      },
      'stdin',
    );
    const nodeChildren = selected.map((name) =>
      launch(
        name,
        process.execPath,
        [serviceScript(name)],
        { DEMO_PORT: String(ports[name]) },
        'ipc',
      ),
    );
    await Promise.all([
      readyByPort(worker, ports['python-worker'], '/healthz'),
      ...nodeChildren.map(readyByIpc),
    ]);
    if (follower.proc.exitCode !== null) throw exited(follower);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    gatewayUrl: urls.gateway as string,
    urls,
    logDir,
    pythonLogFile,
    pids: () => children.map((c) => c.proc.pid).filter((p): p is number => p !== undefined),
    stop,
  };
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
