// `npm run bench -- cli-search [--mb=N] [--runs=N]`: offline `hopscope search <request_id> file`
// on an N MB JSON log file (default 500), against what people use without it: `grep -F` alone
// (no parsing, no grouping) and the seed's `log-search.sh`, `grep | jq .`. Prints the median of
// --runs (default 3) as MB/s, for one pass (--no-stitch) and the default two (the second follows
// the matched lines' trace ID), and ratios against grep measured in the same run, plus the search's
// peak RSS next to the file size. Needs a build (`npm run build`): it runs packages/cli/dist/bin.js.
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intArg as arg } from './_args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'packages', 'cli', 'dist', 'bin.js');
const REQ = 'req_00c0ffee00c0';

/** pino-shaped lines of three services; one line in 50,000 belongs to the request searched. */
async function generate(file, mb) {
  const out = createWriteStream(file);
  const services = ['gateway', 'agent', 'sandbox'];
  const base = Date.parse('2026-01-25T12:00:00.000Z');
  let written = 0;
  let n = 0;
  let matches = 0;
  while (written < mb * 1024 * 1024) {
    const lines = [];
    for (let i = 0; i < 10_000; i++, n++) {
      const id = n % 50_000 === 0 ? REQ : `req_${n.toString(16).padStart(12, '0')}`;
      if (id === REQ) matches++;
      lines.push(
        `{"level":30,"time":${base + n},"pid":4242,"hostname":"box-1","service":"${services[n % 3]}","request_id":"${id}","trace_id":"${id === REQ ? '4bf92f3577b34da6a3ce929d0e0e4736' : `4bf92f3577b34da6${n.toString(16).padStart(16, '0')}`}","msg":"step completed","step":${n},"tokens":${n % 977}}`,
      );
    }
    const chunk = `${lines.join('\n')}\n`;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes: written, matches };
}

function timeIt(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

export default async function cliSearch(argv) {
  if (!existsSync(bin)) {
    console.error(`${bin} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
  const mb = arg(argv, 'mb', 500);
  const runs = arg(argv, 'runs', 3);
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-bench-search-'));
  try {
    const file = join(dir, 'agent.log');
    const { bytes, matches } = await generate(file, mb);
    const fileMb = bytes / 1024 / 1024;
    console.log(`file: ${fileMb.toFixed(0)} MB, ${matches} matching lines`);

    const hasJq = spawnSync('jq', ['--version']).status === 0;
    const rssFile = join(dir, 'rss.txt');
    const preload = join(dir, 'rss.mjs');
    writeFileSync(
      preload,
      `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
    );

    const grepMs = timeIt(
      () => execFileSync('grep', ['-F', REQ, file], { maxBuffer: 1 << 30 }),
      runs,
    );
    const jqMs = hasJq
      ? timeIt(
          () => execFileSync('sh', ['-c', `grep -F ${REQ} '${file}' | jq . > /dev/null`]),
          runs,
        )
      : undefined;
    let found = 0;
    const searchMs = timeIt(() => {
      const out = execFileSync(
        process.execPath,
        ['--import', preload, bin, 'search', REQ, file, '--json'],
        {
          maxBuffer: 1 << 30,
        },
      );
      found = JSON.parse(out).count;
    }, runs);
    if (found !== matches) throw new Error(`search found ${found} lines, expected ${matches}`);
    const rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    const onePassMs = timeIt(
      () =>
        execFileSync(process.execPath, [bin, 'search', REQ, file, '--json', '--no-stitch'], {
          maxBuffer: 1 << 30,
        }),
      runs,
    );

    const row = (name, ms) =>
      `${name.padEnd(42)} ${(ms / 1000).toFixed(2).padStart(7)} s ${(fileMb / (ms / 1000)).toFixed(0).padStart(6)} MB/s  ${(ms / grepMs).toFixed(2).padStart(6)}× grep`;
    console.log(`median of ${runs} runs:`);
    console.log(row('grep -F (no parsing)', grepMs));
    if (jqMs !== undefined) console.log(row('grep | jq . (seed log-search.sh)', jqMs));
    else console.log('grep | jq .: jq not installed, skipped');
    console.log(row('hopscope search --json --no-stitch', onePassMs));
    console.log(row('hopscope search --json (2nd pass: trace)', searchMs));
    console.log(
      `hopscope search peak RSS: ${rssMb.toFixed(0)} MB for a ${fileMb.toFixed(0)} MB file (${(rssMb / fileMb).toFixed(2)}× file size)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await cliSearch(process.argv.slice(2));
