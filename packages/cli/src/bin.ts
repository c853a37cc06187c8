#!/usr/bin/env node
import { run } from './program.js';

run(process.argv).catch((err: unknown) => {
  process.stderr.write(`hopscope: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
