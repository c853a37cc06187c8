import { DELIM, LOG_CSV_COLUMNS, QUOTE, SPAN_CSV_COLUMNS } from './csv.js';

function readCsv(path: string, columns: string, serial: boolean): string {
  return (
    `read_csv('${path.replaceAll("'", "''")}', delim='${DELIM}', quote='${QUOTE}', ` +
    `escape='${QUOTE}', header=false, auto_detect=false, allow_quoted_nulls=false, ` +
    `parallel=${serial ? 'false' : 'true'}, columns=${columns})`
  );
}

/**
 * One group commit as SQL: staged rows are appended to spans/logs, and trace_index,
 * request_index and operations are merged from them, all in one transaction. A request's
 * window covers its whole traces (children can start or end outside the span carrying the ID).
 */
export function commitSql(
  spans: { path: string; serial: boolean } | undefined,
  logs: { path: string; serial: boolean } | undefined,
): string {
  const out = ['BEGIN TRANSACTION;'];
  if (spans) {
    out.push(
      `CREATE OR REPLACE TEMP TABLE stage_spans AS SELECT * FROM ${readCsv(spans.path, SPAN_CSV_COLUMNS, spans.serial)};`,
      'INSERT INTO spans SELECT * FROM stage_spans;',
      `CREATE OR REPLACE TEMP TABLE stage_traces AS
         SELECT trace_id, min(start_ns) AS start_ns, max(start_ns + duration_ns) AS end_ns
         FROM stage_spans GROUP BY trace_id;`,
      `INSERT INTO trace_index SELECT trace_id, start_ns, end_ns FROM stage_traces
         ON CONFLICT (trace_id) DO UPDATE SET
           start_ns = least(trace_index.start_ns, excluded.start_ns),
           end_ns = greatest(trace_index.end_ns, excluded.end_ns);`,
      `INSERT INTO operations SELECT DISTINCT service, name, kind FROM stage_spans
         ON CONFLICT DO NOTHING;`,
    );
  }
  if (logs) {
    out.push(
      `CREATE OR REPLACE TEMP TABLE stage_logs AS SELECT * FROM ${readCsv(logs.path, LOG_CSV_COLUMNS, logs.serial)};`,
      'INSERT INTO logs SELECT * FROM stage_logs;',
    );
  }
  const requestRows: string[] = [];
  if (spans) {
    requestRows.push(`SELECT r.request_id, r.trace_id, t.start_ns, t.end_ns
      FROM (SELECT DISTINCT request_id, trace_id FROM stage_spans WHERE request_id IS NOT NULL) r
      JOIN stage_traces t USING (trace_id)`);
  }
  if (logs) {
    requestRows.push(`SELECT request_id, coalesce(trace_id, ''), timestamp_ns, timestamp_ns
      FROM stage_logs WHERE request_id IS NOT NULL`);
  }
  out.push(
    `INSERT INTO request_index
       SELECT request_id, trace_id, min(start_ns), max(end_ns)
       FROM (${requestRows.join(' UNION ALL ')}) AS r(request_id, trace_id, start_ns, end_ns)
       GROUP BY request_id, trace_id
       ON CONFLICT (request_id, trace_id) DO UPDATE SET
         start_ns = least(request_index.start_ns, excluded.start_ns),
         end_ns = greatest(request_index.end_ns, excluded.end_ns);`,
    'COMMIT;',
  );
  return out.join('\n');
}
