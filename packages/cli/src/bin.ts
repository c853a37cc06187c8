#!/usr/bin/env node
import { processIO } from './io.js';
import { run } from './program.js';

// `hopscope logs | head`: the reader went away; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

run(process.argv, processIO()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hopscope: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 70;
  },
);
