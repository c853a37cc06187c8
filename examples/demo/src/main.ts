/**
 * `npm run demo`: a Hopscope server (the one at HOPSCOPE_URL, else an embedded one with its
 * data in ./hopscope-data), the whole platform, and steady traffic until Ctrl-C.
 */
import { resolve } from 'node:path';
import { startDemo } from './index.js';

const server = process.env.HOPSCOPE_URL ?? 'http://127.0.0.1:4318';
const out = (line: string) => process.stdout.write(`${line}\n`);

const demo = await startDemo({
  server,
  dataDir: resolve(process.env.HOPSCOPE_DATA ?? 'hopscope-data'),
  perSecond: Number(process.env.DEMO_RATE ?? 2),
  onError: (error) => process.stderr.write(`${error.message}\n`),
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  out('\nstopping the demo…');
  await demo.stop();
  out('stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

out(`Hopscope UI:  ${demo.server}`);
out(
  `Chat page:    ${demo.topology.gatewayUrl}   (request IDs are born there, shown under each answer)`,
);
out(`Service logs: ${demo.topology.logDir}`);
setTimeout(() => {
  out('\nSome requests to paste into the UI or `hopscope trace <id>`:');
  for (const r of demo.samples()) {
    out(
      `  ${r.request_id}  ${r.status.padEnd(5)}  ${r.scenario}${r.fails_at ? ` (fails at ${r.fails_at})` : ''}`,
    );
  }
  out('\nSending about 2 requests a second. Ctrl-C to stop.');
}, 8000).unref();
