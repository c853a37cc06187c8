import type { DebugTraceResponse, JaegerEnvelope } from '@hopscope/server';
import type { HopscopeClient, Query } from '../client.js';
import { CliError, EXIT } from '../errors.js';

/** Thrown for an ID with nothing behind it: the agent gets a message, not a crash. */
export class NotFound extends CliError {
  constructor(message: string) {
    super(message, EXIT.notFound);
  }
}

/** One request's spans and/or logs from GET /api/debug/trace/:id. */
export async function fetchRequest(
  client: HopscopeClient,
  id: string,
  include: Array<'spans' | 'logs'>,
): Promise<DebugTraceResponse> {
  const response = await client.getJson<DebugTraceResponse>(
    `/api/debug/trace/${encodeURIComponent(id.trim())}`,
    { include: include.join(',') },
    { accept: [404] },
  );
  if (response.status === 404) {
    throw new NotFound(
      `No spans or logs for ${JSON.stringify(id)} at ${client.baseUrl}. Check the ID (a request ID ` +
        'like req_3f9a1c2b4d5e, a 32-hex trace ID or a traceparent), whether its services send to ' +
        'this server, and whether it is older than the retention; search_traces lists recent requests.',
    );
  }
  const data = response.body;
  if (!data || !Array.isArray(data.spans) || !Array.isArray(data.logs)) {
    throw new CliError(
      `${client.baseUrl} answered /api/debug/trace without spans and logs. Is it a Hopscope server?`,
      EXIT.server,
    );
  }
  return data;
}

/**
 * GET a Jaeger-compatible route. Those answer errors in Jaeger's envelope
 * (`errors: [{code, msg}]`), which the CLI client does not read, so 400s are handled here.
 */
export async function fetchJaeger<T>(
  client: HopscopeClient,
  path: string,
  query: Query,
): Promise<T> {
  const response = await client.getJson<JaegerEnvelope<T>>(path, query, { accept: [400] });
  const body = response.body;
  const problem = body?.errors?.[0]?.msg;
  if (response.status === 400) {
    throw new CliError(`The server rejected the search: ${problem ?? 'bad request'}`, EXIT.usage);
  }
  if (!body || body.data === null || body.data === undefined) {
    throw new CliError(
      `${client.baseUrl}${path} answered without data${problem ? `: ${problem}` : ''}. Is it a Hopscope server?`,
      EXIT.server,
    );
  }
  return body.data;
}
