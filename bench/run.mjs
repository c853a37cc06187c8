#!/usr/bin/env node
// `npm run bench [-- <suite>...]`: runs the named suites (default: all) from bench/<suite>.mjs.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'))
  .map((f) => f.slice(0, -4));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(
    `unknown bench suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`,
  );
  process.exit(2);
}
for (const suite of wanted.length > 0 ? wanted : available) {
  console.log(`\n=== bench: ${suite} ===`);
  const mod = await import(pathToFileURL(join(here, `${suite}.mjs`)).href);
  await mod.default?.(process.argv.slice(2));
}
