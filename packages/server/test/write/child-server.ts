// Runs a real server in its own process for crash tests: prints its ports as one JSON line,
// then serves until killed. Argument: the data folder.
import { startServer } from '../../src/server.js';

const server = await startServer({ port: 0, grpcPort: 0, dataDir: process.argv[2]! });
process.stdout.write(`${JSON.stringify({ url: server.url, grpcPort: server.grpcPort })}\n`);
