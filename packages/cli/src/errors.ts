/**
 * Exit codes (documented in the README). Scripts rely on them: `hopscope trace $ID || page`.
 */
export const EXIT = {
  ok: 0,
  /** `trace`: the request failed; `ingest`: the server rejected some lines. */
  failed: 1,
  /** Bad arguments or options. */
  usage: 2,
  /** `trace`/`search`: nothing found for the ID. */
  notFound: 3,
  /** The server could not be reached. */
  unreachable: 4,
  /** The server answered 401: missing or wrong token. */
  unauthorized: 5,
  /** The server answered with an error or something that is not its API. */
  server: 6,
  /** A bug in hopscope itself. */
  internal: 70,
} as const;

/** An error the user can act on: printed as one line, never with a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}
