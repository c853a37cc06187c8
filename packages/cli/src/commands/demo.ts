import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { write } from '../io.js';
import { addServerOptions, resolveServer, type ServerFlags } from '../server-options.js';

interface DemoFlags extends ServerFlags {
  requests: number;
  concurrency: number;
  json?: boolean;
}

/** What this command uses of `@hopscope/demo` (examples/demo), loaded only when it runs. */
interface DemoRequest {
  request_id: string;
  trace_id: string;
  status: 'ok' | 'error';
  scenario: string;
  fails_at?: string;
  error?: string;
}
interface DemoModule {
  missingSystemParts(): string | undefined;
  runDemo(options: {
    server: string;
    requests: number;
    concurrency?: number;
    progress?: (message: string) => void;
  }): Promise<{ server: string; requests: DemoRequest[]; incomplete: Map<string, string[]> }>;
}

/**
 * The demo lives in the repository's examples/demo workspace (it spawns its services from
 * there), so the specifier is a variable: the CLI builds and installs without it.
 */
async function loadDemo(): Promise<DemoModule> {
  const specifier = '@hopscope/demo';
  try {
    return (await import(specifier)) as DemoModule;
  } catch (err) {
    throw new CliError(
      `hopscope demo runs from a checkout of the Hopscope repository (examples/demo, built with \`npx tsc -b\`): ${(err as Error).message}`,
      EXIT.failed,
    );
  }
}

function count(name: string, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(
        `${name}: expected an integer 1–${max}, got ${JSON.stringify(v)}`,
      );
    }
    return n;
  };
}

export function registerDemo(program: Command, ctx: CliContext): void {
  const command = program
    .command('demo')
    .description(
      "Run the seeds' platform (ui, gateway, baseline, sandy, agent, llm-gateway, provider, ingestion, python-worker) as real services, send N requests, wait until they are queryable, stop.",
    )
    .option('--requests <n>', 'requests to send', count('--requests', 10_000), 20)
    .option('--concurrency <n>', 'requests in flight at once', count('--concurrency', 64), 4)
    .option('--json', 'one JSON line per request: request_id, trace_id, status, scenario')
    .addHelpText(
      'after',
      '\nStarts an embedded server when none answers at --server. Needs nats-server and a Python 3\n' +
        'with FastAPI, uvicorn, structlog and httpx (Debian packages). For steady traffic: npm run demo.',
    );
  addServerOptions(command).action(async (flags: DemoFlags) => {
    const { baseUrl } = resolveServer(flags, ctx.io.env, 'query');
    const demo = await loadDemo();
    const missing = demo.missingSystemParts();
    if (missing !== undefined) throw new CliError(`hopscope demo: ${missing}`, EXIT.failed);
    const { stdout, stderr } = ctx.io;
    const result = await demo.runDemo({
      server: baseUrl,
      requests: flags.requests,
      concurrency: flags.concurrency,
      progress: (m) => stderr.write(`${m}\n`),
    });
    for (const r of result.requests) {
      const line = flags.json
        ? JSON.stringify({
            request_id: r.request_id,
            trace_id: r.trace_id,
            status: r.status,
            scenario: r.scenario,
            ...(r.fails_at ? { fails_at: r.fails_at } : {}),
          })
        : `${r.request_id}  ${r.status.padEnd(5)}  ${r.scenario}${r.error ? `  ${r.error}` : ''}`;
      await write(stdout, `${line}\n`);
    }
    if (result.incomplete.size > 0) {
      const detail = [...result.incomplete]
        .map(([id, parts]) => `${id}: ${parts.join(', ')}`)
        .join('; ');
      throw new CliError(
        `hopscope demo: not all data became queryable at ${result.server}: ${detail}`,
        EXIT.failed,
      );
    }
    if (!flags.json)
      stderr.write(
        `Look one up: hopscope trace ${result.requests[0]?.request_id} --server ${result.server}\n`,
      );
  });
}
