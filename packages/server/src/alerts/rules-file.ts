/**
 * Reads and replaces the alert rules file behind `hopscope serve --alerts FILE`. A new text is
 * validated by the same loader as at startup before anything touches the disk, then written to a
 * temp file beside the original and renamed over it, so a crash never leaves half a file; the
 * version it replaces is kept as FILE.bak.
 */
import { copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { AlertRulesError, parseAlertRulesText } from './load.js';
import type { AlertRulesFile } from './schema.js';

export interface AlertRulesText {
  file: string;
  /** From the file name: `.json` files are JSON, anything else YAML. */
  format: 'yaml' | 'json';
  text: string;
}

export const formatOf = (file: string): 'yaml' | 'json' =>
  extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';

export async function readRulesFile(file: string): Promise<AlertRulesText> {
  return { file, format: formatOf(file), text: await readFile(file, 'utf8') };
}

/** Validates `text` as the rules of `file`; throws AlertRulesError (file untouched) or writes it. */
export async function editRulesFile(file: string, text: string): Promise<AlertRulesFile> {
  const rules = parseAlertRulesText(text, file);
  if (formatOf(file) === 'json') {
    try {
      JSON.parse(text);
    } catch (err) {
      const why = (err as Error).message;
      throw new AlertRulesError(
        `alert rules ${file}: expected JSON, as the file name says (${why}); YAML rules need a .yaml file`,
        [],
      );
    }
  }
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await copyFile(file, `${file}.bak`);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return rules;
}
