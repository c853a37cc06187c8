import type { ApiErrorBody } from '@hopscope/server';
import { CliError, EXIT } from './errors.js';
import type { ServerTarget } from './server-options.js';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface JsonResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

const QUERY_TIMEOUT_MS = 30_000;
const HOW_TO_START =
  'Start one with `npx hopscope serve` (or `npm start` in the hopscope repo), ' +
  'or point --server / HOPSCOPE_URL at a running server.';

/**
 * The CLI's only way to the server: HTTP. Every failure becomes a CliError that says what to do
 * (which URL, which token, which parameter), so commands never print a stack trace.
 */
export class HopscopeClient {
  constructor(readonly target: ServerTarget) {}

  get baseUrl(): string {
    return this.target.baseUrl;
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(this.target.baseUrl + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') {
        url.searchParams.set(key, String(value));
      }
    }
    return url.href;
  }

  /** GET a JSON route. `accept` lists statuses besides 2xx the caller handles (e.g. 404). */
  async getJson<T>(
    path: string,
    query: Query = {},
    opts: { accept?: number[]; signal?: AbortSignal } = {},
  ): Promise<JsonResponse<T>> {
    const url = this.url(path, query);
    const response = await this.send(url, { method: 'GET' }, opts.signal);
    if (!response.ok && !opts.accept?.includes(response.status)) {
      throw await this.errorFor(response, url);
    }
    return {
      status: response.status,
      body: await readJson<T>(response, url),
      headers: response.headers,
    };
  }

  /** POST a body; returns the raw response for statuses the caller decides about (429, 400). */
  async post(
    path: string,
    query: Query,
    body: string | Uint8Array,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    const url = this.url(path, query);
    const response = await this.send(
      url,
      { method: 'POST', body, headers: { 'content-type': contentType } },
      signal,
      120_000,
    );
    // 400/413/429/503 are decided per batch by the caller; the rest end the command.
    const { status } = response;
    if (status === 401 || status === 404 || (status >= 500 && status !== 503)) {
      throw await this.errorFor(response, url);
    }
    return response;
  }

  private async send(
    url: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
    timeoutMs = QUERY_TIMEOUT_MS,
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    if (this.target.token) headers.set('authorization', `Bearer ${this.target.token}`);
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(url, {
        ...init,
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (timeout.aborted) {
        throw new CliError(
          `The Hopscope server at ${this.baseUrl} did not answer within ${timeoutMs / 1000} s.`,
          EXIT.unreachable,
        );
      }
      throw new CliError(
        `Cannot reach the Hopscope server at ${this.baseUrl} (${networkReason(err)}). ${HOW_TO_START}`,
        EXIT.unreachable,
      );
    }
  }

  /** The CliError for a non-2xx answer, using the API's error body when there is one. */
  async errorFor(response: Response, url: string): Promise<CliError> {
    const detail = await errorDetail(response);
    const { status } = response;
    if (status === 401) {
      const token = this.target.tokenSource
        ? `The token from ${this.target.tokenSource} was rejected`
        : 'No token was given';
      return new CliError(
        `The Hopscope server at ${this.baseUrl} answered 401 unauthorized: it requires a bearer token. ` +
          `${token}; pass the right one with ${this.target.tokenHint}.`,
        EXIT.unauthorized,
      );
    }
    if (status === 400) {
      return new CliError(
        `The server rejected the request: ${detail ?? 'bad request'}`,
        EXIT.usage,
      );
    }
    if (status === 404) {
      return new CliError(
        `${url} answered 404${detail ? `: ${detail}` : ''}. Is ${this.baseUrl} a Hopscope server?`,
        EXIT.server,
      );
    }
    return new CliError(
      `The Hopscope server at ${this.baseUrl} answered ${status}${detail ? `: ${detail}` : ''}`,
      EXIT.server,
    );
  }
}

async function readJson<T>(response: Response, url: string): Promise<T> {
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    const type = response.headers.get('content-type') ?? 'no content type';
    throw new CliError(
      `${url} answered ${response.status} with ${type}, not JSON. Is it a Hopscope server?`,
      EXIT.server,
    );
  }
}

async function errorDetail(response: Response): Promise<string | undefined> {
  const text = await response.text().catch(() => '');
  if (text === '') return undefined;
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody> & { message?: string };
    const err = body.error;
    if (err && typeof err === 'object' && typeof err.message === 'string') {
      return err.expected && !err.message.includes(err.expected)
        ? `${err.message} (expected ${err.expected})`
        : err.message;
    }
    if (typeof err === 'string') return err;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: show the start of whatever it is.
  }
  return text.slice(0, 200).trim();
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ENOTFOUND') return 'host not found';
  if (cause?.code === 'ECONNRESET') return 'connection reset';
  if (cause?.code) return cause.code;
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}
