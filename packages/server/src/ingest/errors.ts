/** Input that cannot be ingested at all: the whole request is refused with 400 and this message. */
export class IngestInputError extends Error {
  override readonly name = 'IngestInputError';
}

/** The ingest queue is full: the client should retry after `retryAfterSeconds`. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(readonly retryAfterSeconds: number) {
    super(`ingest queue is full; retry after ${retryAfterSeconds}s`);
  }
}
