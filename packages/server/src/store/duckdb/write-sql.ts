import { DELIM, LOG_CSV_COLUMNS, QUOTE, SPAN_CSV_COLUMNS } from './csv.js';

export interface StagedFile {
  path: string;
  /** A quoted value holds a line break: read serially. */
  serial: boolean;
}

export interface StagedGroup {
  spans?: StagedFile;
  logs?: StagedFile;
  traces?: StagedFile;
  requests?: StagedFile;
  /** Index rows whose keys are believed new: plain INSERT, which fails if one is not. */
  freshTraces?: StagedFile;
  freshRequests?: StagedFile;
  operations?: StagedFile;
}

const TRACE_COLUMNS = "{'trace_id':'VARCHAR','start_ns':'BIGINT','end_ns':'BIGINT'}";
const REQUEST_COLUMNS =
  "{'request_id':'VARCHAR','trace_id':'VARCHAR','start_ns':'BIGINT','end_ns':'BIGINT'}";

function readCsv(file: StagedFile, columns: string): string {
  return (
    `read_csv('${file.path.replaceAll("'", "''")}', delim='${DELIM}', quote='${QUOTE}', ` +
    // new_line is explicit: left to detection, a quoted \r in the first row derails the parser.
    `escape='${QUOTE}', new_line='\\n', header=false, auto_detect=false, allow_quoted_nulls=false, ` +
    `parallel=${file.serial ? 'false' : 'true'}, columns=${columns})`
  );
}

/**
 * One group commit as SQL, in one transaction: rows appended to spans/logs straight from their
 * staged files, and the pre-aggregated index rows merged (windows only ever widen).
 */
export function commitSql(g: StagedGroup): string {
  const out = ['BEGIN TRANSACTION;'];
  if (g.spans) out.push(`INSERT INTO spans SELECT * FROM ${readCsv(g.spans, SPAN_CSV_COLUMNS)};`);
  if (g.logs) out.push(`INSERT INTO logs SELECT * FROM ${readCsv(g.logs, LOG_CSV_COLUMNS)};`);
  if (g.freshTraces) {
    out.push(`INSERT INTO trace_index SELECT * FROM ${readCsv(g.freshTraces, TRACE_COLUMNS)};`);
  }
  if (g.freshRequests) {
    out.push(
      `INSERT INTO request_index SELECT * FROM ${readCsv(g.freshRequests, REQUEST_COLUMNS)};`,
    );
  }
  if (g.traces) {
    out.push(`INSERT INTO trace_index SELECT * FROM ${readCsv(g.traces, TRACE_COLUMNS)}
      ON CONFLICT (trace_id) DO UPDATE SET
        start_ns = least(trace_index.start_ns, excluded.start_ns),
        end_ns = greatest(trace_index.end_ns, excluded.end_ns);`);
  }
  if (g.requests) {
    out.push(`INSERT INTO request_index SELECT * FROM ${readCsv(g.requests, REQUEST_COLUMNS)}
      ON CONFLICT (request_id, trace_id) DO UPDATE SET
        start_ns = least(request_index.start_ns, excluded.start_ns),
        end_ns = greatest(request_index.end_ns, excluded.end_ns);`);
  }
  if (g.operations) {
    out.push(`INSERT INTO operations SELECT * FROM ${readCsv(g.operations, "{'service':'VARCHAR','name':'VARCHAR','kind':'UTINYINT'}")}
      ON CONFLICT DO NOTHING;`);
  }
  out.push('COMMIT;');
  return out.join('\n');
}
