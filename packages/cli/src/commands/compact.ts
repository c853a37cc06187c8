import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { write } from '../io.js';

interface CompactFlags {
  data: string;
  json?: boolean;
}

const MB = 1e6;

export function registerCompact(program: Command, ctx: CliContext): void {
  program
    .command('compact')
    .description(
      "Rewrite the embedded store's DuckDB file in the current storage format, without free blocks (stop the server first).",
    )
    .option(
      '--data <dir>',
      'folder of the DuckDB file (HOPSCOPE_DATA)',
      ctx.io.env.HOPSCOPE_DATA ?? './hopscope-data',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nA data dir made before Hopscope wrote DuckDB v1.5.0 files keeps the older, ~13% larger\n' +
        'format for every row added later; DuckDB also never shrinks a file after deletes.\n' +
        'Example: hopscope compact --data ./hopscope-data',
    )
    .action(async (flags: CompactFlags) => {
      // The server package (DuckDB) loads only for this command.
      const { compactDataDir } = await import('@hopscope/server');
      const result = await compactDataDir(flags.data).catch((err: Error) => {
        const notFound = /^no Hopscope store in /.test(err.message);
        throw new CliError(err.message, notFound ? EXIT.notFound : EXIT.failed);
      });
      const { stdout } = ctx.io;
      if (flags.json) {
        await write(stdout, `${JSON.stringify(result)}\n`);
        return;
      }
      await write(
        stdout,
        `compacted ${result.file}: ${(result.bytesBefore / MB).toFixed(1)} MB → ${(result.bytesAfter / MB).toFixed(1)} MB ` +
          `(DuckDB storage ${result.formatBefore} → ${result.formatAfter})\n`,
      );
    });
}
