/**
 * Real brokers for the transport tests: Debian's nats-server (JetStream on) and rabbitmq-server,
 * each started on free loopback ports in a temp dir and stopped after. A missing binary skips the
 * tests locally and fails them under CI with the package to install.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findBinary(name: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** `describe.skipIf(skipWithout(...))`: true only locally; under CI the test fails instead. */
export function skipWithout(binary: string): boolean {
  return findBinary(binary) === undefined && !process.env.CI;
}

export function requireBinary(binary: string, debianPackage: string): string {
  const path = findBinary(binary);
  if (path === undefined) {
    throw new Error(
      `${binary} not found: these tests need Debian's ${debianPackage} (apt-get install -y ${debianPackage})`,
    );
  }
  return path;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
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

async function waitForPort(port: number, proc: ChildProcess, what: string, log: () => string) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null)
      throw new Error(`${what} exited early (${proc.exitCode}):\n${log()}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not accept connections on ${port} within 120 s:\n${log()}`);
}

export interface Broker {
  port: number;
  url: string;
  stop(): Promise<void>;
}

function stopper(proc: ChildProcess, dir: string, group = false) {
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (group && proc.pid !== undefined) process.kill(-proc.pid, signal);
      else proc.kill(signal);
    } catch {
      // already gone
    }
  };
  return async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

export async function startNats(): Promise<Broker> {
  const bin = requireBinary('nats-server', 'nats-server');
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-nats-'));
  const port = await freePort();
  let output = '';
  const proc = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d) => (output += d));
  proc.stderr?.on('data', (d) => (output += d));
  await waitForPort(port, proc, 'nats-server', () => output);
  return { port, url: `127.0.0.1:${port}`, stop: stopper(proc, dir) };
}

/**
 * rabbitmq-server as a node of its own (name, mnesia and log dirs, AMQP and distribution ports)
 * so it never meets a system instance or another test run's node. Slow to start: one per file.
 */
const RABBIT_SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export async function startRabbit(): Promise<Broker> {
  requireBinary('rabbitmq-server', 'rabbitmq-server');
  // Debian's /usr/sbin wrapper switches to the rabbitmq user (dropping our environment); the
  // script it wraps runs the node as the current user with the dirs given here.
  const bin = existsSync(RABBIT_SCRIPT)
    ? RABBIT_SCRIPT
    : requireBinary('rabbitmq-server', 'rabbitmq-server');
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-rabbit-'));
  const port = await freePort();
  const distPort = await freePort();
  const node = `hopscope${port}@localhost`;
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  let output = '';
  for (const sub of ['mnesia', 'log']) mkdirSync(join(dir, sub));
  const proc = spawn(bin, [], {
    detached: true, // its own process group, so stopping it takes the Erlang VM's children too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODENAME: node,
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
      HOME: dir,
    },
  });
  proc.stdout?.on('data', (d) => (output += d));
  proc.stderr?.on('data', (d) => (output += d));
  await waitForPort(port, proc, 'rabbitmq-server', () => output.slice(-4000));
  return { port, url: `amqp://guest:guest@127.0.0.1:${port}`, stop: stopper(proc, dir, true) };
}
