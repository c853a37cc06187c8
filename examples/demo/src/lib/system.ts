/** The system parts the demo needs beyond Node: nats-server and a Python 3 with FastAPI. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function findNatsServer(): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    if (existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  return undefined;
}

const PYTHON_MODULES = 'import fastapi, uvicorn, structlog, httpx';

/** Debian's interpreter first: the packages the demo documents are installed for it. */
export function findPython(): string | undefined {
  const candidates = [process.env.DEMO_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  return candidates.find(
    (p) => spawnSync(p, ['-c', PYTHON_MODULES], { stdio: 'ignore' }).status === 0,
  );
}

/** Why the demo cannot run here, with the Debian packages to install; undefined when it can. */
export function missingSystemParts(): string | undefined {
  const missing: string[] = [];
  if (findNatsServer() === undefined) missing.push('nats-server');
  if (findPython() === undefined) {
    missing.push('python3-fastapi python3-uvicorn python3-structlog python3-httpx');
  }
  if (missing.length === 0) return undefined;
  return `the demo needs Debian packages: apt-get install -y ${missing.join(' ')}`;
}
