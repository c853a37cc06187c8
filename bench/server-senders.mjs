// Child process of bench/server.mjs: the load generator, apart from the server so the server's
// process measures only itself. Reads length-prefixed protobuf bodies from a file, says
// "ready", waits for "go" on stdin, sends every body with SENDERS concurrent senders (each
// awaits its answer), then prints {"failed":N}.
import { readFileSync } from 'node:fs';

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
  let next = 0;
  let failed = 0;
  const sender = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: Number(senders) }, sender));
  process.stdout.write(`${JSON.stringify({ failed })}\n`);
  process.exit(0);
});
