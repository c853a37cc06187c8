import { DELIM, LOG_CSV_COLUMNS, QUOTE } from './csv.js';

export interface StagedFile {
  path: string;
  /** A quoted value holds a line break: read serially. */
  serial: boolean;
}

/** The part of a group commit that still goes through staged text (spans use data chunks). */
export interface StagedGroup {
  logs?: StagedFile;
  operations?: StagedFile;
}

function readCsv(file: StagedFile, columns: string): string {
  return (
    `read_csv('${file.path.replaceAll("'", "''")}', delim='${DELIM}', quote='${QUOTE}', ` +
    // new_line is explicit: left to detection, a quoted \r in the first row derails the parser.
    `escape='${QUOTE}', new_line='\\n', header=false, auto_detect=false, allow_quoted_nulls=false, ` +
    `parallel=${file.serial ? 'false' : 'true'}, columns=${columns})`
  );
}

/**
 * The staged part of one group commit as SQL, run inside the group's transaction: log rows
 * appended straight from their file, operations merged (only ones this process has not sent).
 */
export function stagedSql(g: StagedGroup): string | undefined {
  const out: string[] = [];
  if (g.logs) out.push(`INSERT INTO logs SELECT * FROM ${readCsv(g.logs, LOG_CSV_COLUMNS)};`);
  if (g.operations) {
    out.push(`INSERT INTO operations SELECT * FROM ${readCsv(g.operations, "{'service':'VARCHAR','name':'VARCHAR','kind':'UTINYINT'}")}
      ON CONFLICT DO NOTHING;`);
  }
  return out.length > 0 ? out.join('\n') : undefined;
}
