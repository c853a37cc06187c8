import { once } from 'node:events';
import { createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBin } from './child.js';
import { tempDir } from './helpers.js';

// A multi-GB file, many times larger than the memory bound: a search that loaded it, or kept
// non-matching lines, would blow through the bound. It is one 64 MB block of distinct lines
// written over and over, so making it costs disk bandwidth rather than test time.
const FILE_MB = 2048;
const BLOCK_MB = 64;
const RSS_BOUND_MB = 160;
const EVERY = 50_000;
const REQ = 'req_00c0ffee00c0';

let dir: string;
let cleanup: () => void;
let file: string;
let expectedMatches = 0;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  file = join(dir, 'big-agent.log');
  const out = createWriteStream(file);
  const blockTarget = BLOCK_MB * 1024 * 1024;
  const parts: string[] = [];
  let blockBytes = 0;
  let blockMatches = 0;
  let n = 0;
  const base = Date.parse('2026-01-25T12:00:00.000Z');
  while (blockBytes < blockTarget) {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++, n++) {
      const id = n % EVERY === 0 ? REQ : `req_${n.toString(16).padStart(12, '0')}`;
      if (id === REQ) blockMatches++;
      lines.push(
        `{"level":30,"time":${base + n},"pid":4242,"hostname":"box-1","service":"agent","request_id":"${id}","trace_id":"${id === REQ ? '4bf92f3577b34da6a3ce929d0e0e4736' : `4bf92f3577b34da6${n.toString(16).padStart(16, '0')}`}","msg":"step completed","step":${n},"tokens":${n % 977}}`,
      );
    }
    const chunk = `${lines.join('\n')}\n`;
    blockBytes += Buffer.byteLength(chunk);
    parts.push(chunk);
  }
  const block = Buffer.from(parts.join(''));
  for (let written = 0; written < FILE_MB * 1024 * 1024; written += block.length) {
    expectedMatches += blockMatches;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}, 300_000);
afterAll(() => cleanup());

it(`search streams a ${FILE_MB} MB file with peak RSS under ${RSS_BOUND_MB} MB`, async () => {
  expect(statSync(file).size).toBeGreaterThan(FILE_MB * 1024 * 1024 - 1);
  // The child records its own peak RSS at exit (kernel's ru_maxrss), measured from the inside.
  const rssFile = join(dir, 'rss.txt');
  const preload = join(dir, 'report-rss.mjs');
  writeFileSync(
    preload,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const result = await runBin(['search', REQ, file, '--json'], { nodeArgs: ['--import', preload] });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const found = JSON.parse(result.stdout);
  expect(found.count).toBe(expectedMatches);
  expect(found.lines_scanned).toBeGreaterThan(1_000_000);
  const peakMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
  expect(peakMb).toBeGreaterThan(10); // the measurement is real
  expect(peakMb).toBeLessThan(RSS_BOUND_MB);
}, 300_000);
