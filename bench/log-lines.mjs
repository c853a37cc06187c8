// `npm run bench -- log-lines [--lines=N]`: the log-line normaliser (parseLogLine) on lines of
// each common shape, against JSON.parse of the same line alone (the floor any normaliser pays),
// measured in the same run. Needs a build (`npm run build`): it imports packages/server/dist.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '..', 'packages', 'server', 'dist', 'ingest', 'log-lines', 'index.js');

const SHAPES = {
  'DESIGN.md line':
    '{"timestamp":"2026-01-25T12:00:00.123Z","level":"info","service":"gateway","request_id":"req_abc123def456","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","event":"request_completed","message":"Request completed","duration_ms":150.5,"method":"POST","path":"/v1/chat","status_code":200}',
  pino: '{"level":30,"time":1769342400100,"pid":7,"hostname":"box","service":"agent","request_id":"req_3f9a1c2b4d5e","msg":"agent run started","step":3}',
  structlog:
    '{"tool": "web_search", "event": "tool_called", "request_id": "req_3f9a1c2b4d5e", "level": "info", "timestamp": "2026-11-23T06:57:52.012330Z"}',
  'python-json-logger':
    '{"asctime": "2026-11-23 06:57:52,012", "levelname": "WARNING", "name": "janus.gateway", "message": "slow upstream", "correlation_id": "abc-123-def", "service": "gateway"}',
  'plain text': '2026-11-23 06:57:52,012 ERROR janus.gateway upstream timeout for req_3f9a1c2b4d5e',
};

function rate(fn, line, n) {
  for (let i = 0; i < 20_000; i++) fn(line);
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(line);
  return n / ((performance.now() - t) / 1000);
}

export default async function logLines(argv) {
  if (!existsSync(entry)) {
    console.error(`${entry} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
  const { parseLogLine } = await import(pathToFileURL(entry).href);
  const eq = argv.find((a) => a.startsWith('--lines='));
  const n = eq ? Number(eq.slice(8)) : 300_000;
  const now = 1_800_000_000_000_000_000n;
  console.log(`${n} lines per shape; lines/s (median of 3), parseLogLine vs JSON.parse alone`);
  for (const [name, line] of Object.entries(SHAPES)) {
    const json = (l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    };
    const median = (fn) => [0, 1, 2].map(() => rate(fn, line, n)).sort((a, b) => a - b)[1];
    const parsed = median((l) => parseLogLine(l, { now }));
    if (!line.startsWith('{')) {
      // No JSON to parse: the floor would be JSON.parse throwing, which measures nothing useful.
      console.log(`${name.padEnd(20)} ${Math.round(parsed).toLocaleString('en').padStart(10)} /s`);
      continue;
    }
    const floor = median(json);
    console.log(
      `${name.padEnd(20)} ${Math.round(parsed).toLocaleString('en').padStart(10)} /s   JSON.parse ${Math.round(floor).toLocaleString('en').padStart(10)} /s   ${(floor / parsed).toFixed(2)}× the floor`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await logLines(process.argv.slice(2));
