// The load generator of bench/server.mjs: `sendAll` posts every body with `senders` concurrent
// senders, each awaiting its answer. Run as a child process (`node server-senders.mjs URL FILE
// SENDERS`) it keeps the load apart from the server, so the server's process measures only
// itself: it reads length-prefixed protobuf bodies from FILE, says "ready", waits for "go" on
// stdin, sends, then prints {"failed":N,"p50":ms,"p99":ms}.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Posts every body; resolves with how many were not answered 200 and the answers' latency
 * percentiles in ms (p50, p99).
 */
export async function sendAll(url, bodies, senders) {
  let next = 0;
  let failed = 0;
  const latencies = [];
  const sender = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const t0 = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body,
      });
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { failed, p50: at(0.5), p99: at(0.99) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [url, file, senders] = process.argv.slice(2);
  const data = readFileSync(file);
  const bodies = [];
  for (let at = 0; at < data.length; ) {
    const n = data.readUInt32LE(at);
    bodies.push(data.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  process.stdout.write('ready\n');
  process.stdin.once('data', async () => {
    const result = await sendAll(url, bodies, Number(senders));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  });
}
