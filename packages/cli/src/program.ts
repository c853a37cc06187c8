import { Command, CommanderError } from 'commander';
import { registerAlerts } from './commands/alerts.js';
import { registerCompact } from './commands/compact.js';
import { registerDemo } from './commands/demo.js';
import { registerIngest } from './commands/ingest.js';
import { registerLogs } from './commands/logs.js';
import { registerMcp } from './commands/mcp.js';
import { registerSearch } from './commands/search.js';
import { registerStats } from './commands/stats.js';
import { registerTrace } from './commands/trace.js';
import { CliContext } from './context.js';
import { CliError, EXIT } from './errors.js';
import { type CliIO, processIO } from './io.js';

type Register = (program: Command, ctx: CliContext) => void;

/**
 * `serve` pulls in the whole server (DuckDB, gRPC, OTLP decoding): hundreds of ms that `trace`,
 * `logs` or `search` should not pay. It is loaded only when the command line mentions it;
 * otherwise this stand-in keeps it in `hopscope --help`.
 */
const serveStandIn: Register = (program) => {
  program
    .command('serve')
    .description(
      'Run the Hopscope server: OTLP collector (HTTP + gRPC), log-line ingest, DuckDB store, query API and UI.',
    )
    .allowUnknownOption();
};

async function loadServe(argv: string[]): Promise<Register> {
  if (!argv.slice(2).includes('serve')) return serveStandIn;
  return (await import('./commands/serve.js')).registerServe;
}

export function buildProgram(ctx: CliContext, registerServe: Register = serveStandIn): Command {
  const program = new Command('hopscope')
    .description('What happened to request req_…? Every hop, its timing, logs and errors.')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 request failed / lines rejected, 2 bad arguments, 3 not found,\n' +
        '4 server unreachable, 5 unauthorized (token), 6 server error.',
    );
  registerServe(program, ctx);
  registerTrace(program, ctx);
  registerLogs(program, ctx);
  registerSearch(program, ctx);
  registerIngest(program, ctx);
  registerStats(program, ctx);
  registerAlerts(program, ctx);
  registerDemo(program, ctx);
  registerCompact(program, ctx);
  registerMcp(program, ctx);
  return program;
}

/**
 * Runs one command line and resolves to its exit code. User errors print one line to stderr;
 * only bugs print a stack (and only with HOPSCOPE_DEBUG=1).
 */
export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const ctx = new CliContext(io);
  try {
    const program = buildProgram(ctx, await loadServe(argv));
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version are exits with code 0; everything else commander reports is usage.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      io.stderr.write(`hopscope: ${err.message}\n`);
      return err.exitCode;
    }
    if (io.signal.aborted) return ctx.exitCode;
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`hopscope: internal error: ${message}\n`);
    if (io.env.HOPSCOPE_DEBUG && err instanceof Error && err.stack) {
      io.stderr.write(`${err.stack}\n`);
    } else {
      io.stderr.write('Set HOPSCOPE_DEBUG=1 to see the stack trace, and please report it.\n');
    }
    return EXIT.internal;
  }
}
