import { Command } from 'commander';

export function buildProgram(): Command {
  const program = new Command('hopscope')
    .description('What happened to request req_…? Every hop, its timing, logs and errors.')
    .showHelpAfterError();
  return program;
}

export async function run(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
