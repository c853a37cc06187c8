// Runs a real server in its own process for crash tests: prints its ports as one JSON line,
// then serves until killed. Arguments: the data folder, and the ingest worker threads (default 0).
import { startServer } from '../../src/server.js';

const server = await startServer({
  port: 0,
  grpcPort: 0,
  dataDir: process.argv[2]!,
  ingestWorkers: Number(process.argv[3] ?? 0),
});
process.stdout.write(`${JSON.stringify({ url: server.url, grpcPort: server.grpcPort })}\n`);
