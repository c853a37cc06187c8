// Shared child-process protocol for `bench/sdk.mjs`: listen on an ephemeral port, report it over
// IPC, then answer `reset` (start counting CPU), `report` (flush telemetry, send CPU used since
// reset) and `stop`.
export function serve(server, flush = async () => {}) {
  let since = process.cpuUsage();
  process.on('message', async (msg) => {
    if (msg === 'reset') {
      since = process.cpuUsage();
      process.send({ reset: true });
    } else if (msg === 'report') {
      await flush();
      const used = process.cpuUsage(since);
      process.send({ cpuMicros: used.user + used.system });
    } else if (msg === 'stop') {
      server.close();
      process.exit(0);
    }
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}
