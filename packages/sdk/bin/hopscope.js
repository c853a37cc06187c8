#!/usr/bin/env node
// `npx hopscope` in a project resolves to this package, the SDK. The command itself lives in
// @hopscope/cli, which brings the server (DuckDB, gRPC) that traced services must not install.
// So this hands off to @hopscope/cli when the project has it, and otherwise says how to get it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** node_modules/@hopscope/cli in `start` or a parent folder, as Node's own lookup walks. */
function findCli(start) {
  let dir = resolve(start);
  for (;;) {
    const manifest = join(dir, 'node_modules', '@hopscope', 'cli', 'package.json');
    if (existsSync(manifest)) return manifest;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function cliBin() {
  const here = dirname(fileURLToPath(import.meta.url));
  const manifest = findCli(here) ?? findCli(process.cwd());
  if (!manifest) return undefined;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.hopscope;
  return bin ? resolve(dirname(manifest), bin) : undefined;
}

const bin = cliBin();
if (bin && existsSync(bin)) {
  // In-process, so stdio, signals and the exit code are the CLI's own (`hopscope mcp` needs stdio).
  await import(pathToFileURL(bin).href);
} else {
  process.stderr.write(
    bin
      ? `hopscope: @hopscope/cli is installed but ${bin} is missing; reinstall it (npm i -D @hopscope/cli) or build it (npm run build).\n`
      : 'hopscope: the `hopscope` command is in @hopscope/cli (the `hopscope` package is the SDK); install it with `npm i -D @hopscope/cli`, then run `npx hopscope` again.\n',
  );
  process.exitCode = 1;
}
