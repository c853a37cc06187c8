import { ApiError } from '../api/client.js';

/** API failures as a sentence the person can act on, never a blank page. */
export function ErrorMessage({ error, what }: { error: Error; what?: string }) {
  const status = error instanceof ApiError ? error.status : undefined;
  const title =
    status === 404
      ? 'Not found'
      : status === 401
        ? 'A query token is needed'
        : status === 400
          ? 'The server did not accept this query'
          : status === 0
            ? 'The server is not reachable'
            : `Could not load ${what ?? 'this page'}`;
  return (
    <div className="error-box" role="alert">
      <strong>{title}</strong>
      <div>{error.message}</div>
    </div>
  );
}
