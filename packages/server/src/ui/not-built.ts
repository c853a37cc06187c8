/** Served at `/` when the UI's assets are missing, so a source checkout says what to run. */
export function notBuiltPage(dir: string | undefined): string {
  const where = dir
    ? `No built UI was found in <code>${escapeHtml(dir)}</code>.`
    : 'The <code>@hopscope/ui</code> package is not installed next to the server.';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hopscope: UI not built</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2430}
code{background:#f1f3f7;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><h1>The Hopscope web UI is not built</h1>
<p>${where}</p>
<p>Build it from the repository root with <code>npm run build</code> (or
<code>npm run build -w @hopscope/ui</code>), then reload this page.</p>
<p>The server itself is running: the query API answers under <code>/api/</code>
(try <a href="/api/health">/api/health</a>), OTLP is accepted at <code>/v1/traces</code> and
<code>/v1/logs</code>.</p></body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
