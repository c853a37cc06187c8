/**
 * The demo as a library: `runDemo` (a fixed number of requests, for `hopscope demo` and tests)
 * and `startDemo` (steady traffic until stopped, for `npm run demo`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServer } from './hopscope-server.js';
import { SCENARIOS, scenarioAt } from './lib/scenarios.js';
import { waitUntilQueryable } from './queryable.js';
import { startTopology, type Topology } from './topology.js';
import { type SentRequest, uiClient } from './traffic.js';

export { SCENARIOS, type Scenario } from './lib/scenarios.js';
export { missingSystemParts } from './lib/system.js';
export { expectedServices, fetchTrace, missingParts } from './queryable.js';
export { NODE_SERVICES, startTopology, type Topology, type TopologyOptions } from './topology.js';
export type { SentRequest } from './traffic.js';

export interface RunDemoOptions {
  /** A Hopscope server; started here (embedded store in a temp dir) when none answers. */
  server: string;
  requests: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** How long to wait for the data to become queryable (default 60 s). */
  waitMs?: number;
  /** Progress messages (stderr in the CLI). */
  progress?: (message: string) => void;
  runId?: string;
}

export interface RunDemoResult {
  server: string;
  requests: SentRequest[];
  /** Request IDs whose data was still incomplete when the wait ended, with what was missing. */
  incomplete: Map<string, string[]>;
}

export async function runDemo(options: RunDemoOptions): Promise<RunDemoResult> {
  if (!Number.isInteger(options.requests) || options.requests < 1) {
    throw new RangeError(`demo: requests must be a positive integer, got ${options.requests}`);
  }
  const say = options.progress ?? (() => {});
  const workDir = mkdtempSync(join(tmpdir(), 'hopscope-demo-'));
  const server = await ensureServer(options.server, join(workDir, 'hopscope-data'));
  if (server.started) say(`started a Hopscope server at ${server.url}`);
  let topology: Topology | undefined;
  try {
    say('starting the services…');
    topology = await startTopology({ hopscopeUrl: server.url, workDir, runId: options.runId });
    say(`services up (gateway ${topology.gatewayUrl}); sending ${options.requests} requests`);
    const send = uiClient(topology.gatewayUrl);
    const requests: SentRequest[] = new Array(options.requests);
    let next = 0;
    const lanes = Array.from(
      { length: Math.min(options.concurrency ?? 4, options.requests) },
      async () => {
        while (next < options.requests) {
          const i = next++;
          requests[i] = await send(scenarioAt(i));
        }
      },
    );
    await Promise.all(lanes);
    say('waiting until every request is queryable…');
    const incomplete = await waitUntilQueryable(server.url, requests, options.waitMs ?? 60_000);
    return { server: server.url, requests, incomplete };
  } finally {
    await topology?.stop();
    await server.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export interface SteadyDemo {
  server: string;
  topology: Topology;
  /** The first request of each scenario sent, for the banner. */
  samples(): SentRequest[];
  stop(): Promise<void>;
}

/** Starts everything and sends about `perSecond` requests a second until `stop()`. */
export async function startDemo(options: {
  server: string;
  dataDir: string;
  perSecond?: number;
  onRequest?: (request: SentRequest) => void;
  onError?: (error: Error) => void;
}): Promise<SteadyDemo> {
  const workDir = mkdtempSync(join(tmpdir(), 'hopscope-demo-'));
  const server = await ensureServer(options.server, options.dataDir);
  let topology: Topology;
  try {
    topology = await startTopology({
      hopscopeUrl: server.url,
      workDir,
      randomFaults: true,
      runId: randomUUID(),
    });
  } catch (error) {
    await server.close();
    throw error;
  }
  const send = uiClient(topology.gatewayUrl);
  const seen = new Map<string, SentRequest>();
  let i = 0;
  let inFlight = 0;
  let stopping = false;
  const timer = setInterval(
    () => {
      if (inFlight >= 8) return; // a slow box gets fewer requests, not a pile-up
      inFlight++;
      const scenario = scenarioAt(i++);
      send(scenario)
        .then((r) => {
          if (!seen.has(r.scenario)) seen.set(r.scenario, r);
          options.onRequest?.(r);
        })
        .catch((e: Error) => {
          if (!stopping) options.onError?.(e);
        })
        .finally(() => inFlight--);
    },
    1000 / (options.perSecond ?? 2),
  );
  return {
    server: server.url,
    topology,
    samples: () =>
      SCENARIOS.map((s) => seen.get(s.name)).filter((r): r is SentRequest => r !== undefined),
    async stop() {
      stopping = true;
      clearInterval(timer);
      // let the requests in flight finish (a few seconds at most) so their traces are whole
      for (let waited = 0; inFlight > 0 && waited < 5000; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await topology.stop();
      await server.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
