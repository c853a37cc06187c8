import { type FormEvent, useState } from 'react';
import { getToken, setToken } from '../api/client.js';

/** Shown when the server answers 401: the token is kept in localStorage and sent as Bearer. */
export function TokenPrompt({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  const hadToken = getToken() !== null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!value.trim()) return;
    setToken(value.trim());
    onDone();
  };
  return (
    <div className="modal-backdrop">
      <form className="modal" onSubmit={submit} aria-label="Query token">
        <h2>This server needs a query token</h2>
        <p className="muted">
          {hadToken ? (
            'The saved token was refused. Enter the current one.'
          ) : (
            <>
              Enter the query token the server was started with (<code>--query-token</code>). It is
              kept in this browser only.
            </>
          )}
        </p>
        <input
          className="input"
          type="password"
          name="token"
          autoComplete="off"
          placeholder="query token"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          // biome-ignore lint/a11y/noAutofocus: the prompt exists only to take this input
          autoFocus
        />
        <div className="modal-actions">
          <button type="submit" className="btn btn-primary">
            Use token
          </button>
        </div>
      </form>
    </div>
  );
}
