/**
 * A local HTTP server that speaks enough of ClickHouse's HTTP interface for @clickhouse/client
 * (ping, query/command/insert with `param_*` bind values in the URL or a multipart body, errors
 * as `Code: N. DB::Exception: …` with status 500) and runs every statement on chdb, the real
 * ClickHouse engine embedded as a library, in a session with a data folder. The SQL the
 * ClickHouse store sends therefore runs on a real modern ClickHouse; only the network server
 * around it is this file.
 *
 * Not covered (the store does not use them): compressed request bodies, async inserts,
 * Array/Map/Tuple bind parameters (chdb re-escapes string values, see unescapeText()).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from 'chdb';

export interface ChdbHttp {
  url: string;
  /** Statements run so far, for tests that check what reached the engine. */
  statements: string[];
  close(): Promise<void>;
}

/** ClickHouse's escaped text format, as @clickhouse/client writes bind values, back to raw text. */
function unescapeText(text: string): string {
  const map: Record<string, string> = {
    t: '\t',
    n: '\n',
    r: '\r',
    b: '\b',
    f: '\f',
    '0': '\0',
    "'": "'",
    '\\': '\\',
  };
  return text.replace(/\\(.)/gs, (_m, c: string) => map[c] ?? c);
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Request {
  sql: string;
  params: Record<string, string>;
  /** Settings the client sent as URL parameters (`output_format_json_quote_64bit_integers=1`). */
  settings: Record<string, string>;
  database?: string;
}

/** URL parameters of the HTTP interface that are not settings. */
const NOT_SETTINGS = new Set([
  'query',
  'database',
  'query_id',
  'session_id',
  'default_format',
  'user',
  'password',
  'role',
]);

/** The statement and its bind values from the URL, plus the body (SQL, insert rows or form). */
async function parse(req: IncomingMessage): Promise<Request> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const raw = await body(req);
  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (!k.startsWith('param_') && !NOT_SETTINGS.has(k) && /^[a-z0-9_]+$/.test(k)) settings[k] = v;
  }
  const take = (key: string, value: string) => {
    if (key.startsWith('param_')) params[key.slice(6)] = unescapeText(value);
  };
  for (const [k, v] of url.searchParams) take(k, v);
  let sql = url.searchParams.get('query') ?? '';
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    // Bind values longer than 4 KiB travel as form parts.
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    for (const [k, v] of form) {
      if (k === 'query') sql = `${sql}${String(v)}`;
      else take(k, String(v));
    }
  } else if (raw.length > 0) {
    // A query in the URL takes its data (insert rows) from the body, else the body is the query.
    sql = sql ? `${sql}\n${raw.toString('utf8')}` : raw.toString('utf8');
  }
  return { sql, params, settings, database: url.searchParams.get('database') ?? undefined };
}

function errorCode(message: string): string {
  return /Code: (\d+)/.exec(message)?.[1] ?? '1002';
}

/** Starts the bridge on 127.0.0.1, port 0, over a chdb session stored in `dataDir`. */
export async function startChdbHttp(dataDir: string): Promise<ChdbHttp> {
  const session = new Session(dataDir);
  const statements: string[] = [];
  // One engine session: statements run one at a time, as they would on one server connection.
  let chain: Promise<unknown> = Promise.resolve();
  const run = (r: Request) => {
    const next = chain.then(async () => {
      if (r.database) await session.queryAsync(`USE ${r.database.replace(/[^A-Za-z0-9_]/g, '')}`);
      for (const [k, v] of Object.entries(r.settings)) {
        const value = /^-?\d+(\.\d+)?$/.test(v)
          ? v
          : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
        await session.queryAsync(`SET ${k} = ${value}`);
      }
      statements.push(r.sql);
      const result =
        Object.keys(r.params).length > 0
          ? await session.queryBindAsync(r.sql, r.params, { format: 'TabSeparated' })
          : await session.queryAsync(r.sql, { format: 'TabSeparated' });
      return Buffer.from(result.bytes());
    });
    chain = next.catch(() => {});
    return next;
  };
  // ClickHouse accepts URIs up to 1 MiB (http_max_uri_size); Node's default header limit is 16 KiB,
  // and with multipart bind values the client still sends the SQL text in the URL.
  const server: Server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    if (req.url?.startsWith('/ping')) {
      res.end('Ok.\n');
      return;
    }
    parse(req)
      .then(run)
      .then(
        (out) => {
          res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
          res.setHeader('X-ClickHouse-Summary', '{}');
          res.end(out);
        },
        (err: Error) => {
          const message = err.message.startsWith('Code:')
            ? err.message
            : `Code: ${errorCode(err.message)}. DB::Exception: ${err.message}`;
          res.statusCode = 500;
          res.setHeader('X-ClickHouse-Exception-Code', errorCode(message));
          res.end(`${message}\n`);
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statements,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await chain;
      session.close();
    },
  };
}
