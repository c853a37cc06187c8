import { stat } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import { glob, isDynamicPattern } from 'tinyglobby';
import { UsageError } from '../errors.js';
import { fileSource, missingFileSource, type Source, stdinSource } from './lines.js';

/**
 * Files, quoted globs (`'logs/*.log.gz'`, expanded here so they work in any shell) and `-` for
 * stdin, in the order given. Every argument must name something: a typo is an error, not silence.
 */
export async function resolveSources(
  args: string[],
  stdin: Readable & { isTTY?: boolean },
  opts: { allowMissing?: boolean } = {},
): Promise<Source[]> {
  const sources: Source[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    if (arg === '-') {
      if (!seen.has('-')) sources.push(stdinSource(stdin));
      seen.add('-');
      continue;
    }
    const info = await stat(arg).catch(() => undefined);
    if (info?.isFile()) {
      if (!seen.has(arg)) sources.push(await fileSource(arg));
      seen.add(arg);
      continue;
    }
    if (info?.isDirectory()) {
      throw new UsageError(
        `${arg} is a directory: pass its files, e.g. '${arg.replace(/\/$/, '')}/*.log'`,
      );
    }
    if (!isDynamicPattern(arg)) {
      if (!opts.allowMissing) throw new UsageError(`no such file: ${arg}`);
      if (!seen.has(arg)) sources.push(missingFileSource(arg));
      seen.add(arg);
      continue;
    }
    const matches = (
      await glob(arg, { onlyFiles: true, expandDirectories: false, absolute: isAbsolute(arg) })
    ).sort();
    if (matches.length === 0) throw new UsageError(`no files match ${arg}`);
    for (const path of matches) {
      if (seen.has(path)) continue;
      seen.add(path);
      sources.push(await fileSource(path));
    }
  }
  return sources;
}

/** `logs/janus-gateway.log.1.gz` → `janus-gateway`: the service of lines that do not name one. */
export function serviceFromFileName(path: string): string | undefined {
  const name = basename(path)
    .replace(/\.gz$/i, '')
    .replace(/\.\d+$/, '')
    .replace(/\.(log|logs|json|jsonl|ndjson|txt|out)$/i, '')
    .replace(/[-_.]?\d{4}-?\d{2}-?\d{2}.*$/, '')
    .replace(/[^\w.:/@-]+/g, '-')
    .slice(0, 128);
  return name === '' ? undefined : name;
}
