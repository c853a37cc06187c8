export { CliContext } from './context.js';
export { CliError, EXIT, UsageError } from './errors.js';
export type { CliIO, OutStream } from './io.js';
export { buildProgram, run } from './program.js';
