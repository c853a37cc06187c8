/**
 * The demo's chat page. Request IDs are born here by @hopscope/browser's tracedFetch (served
 * as plain ES modules from the package's build), and each answer's footer shows its ID with a
 * link into Hopscope (seed 000 FR-5).
 */
export function chatPage(hopscopeUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hopscope demo chat</title>
<script type="importmap">{ "imports": { "@hopscope/browser": "/sdk/index.js" } }</script>
<style>
  body { font: 15px system-ui, sans-serif; max-width: 720px; margin: 2rem auto; color: #1d2330; }
  .msg { border: 1px solid #d8dce6; border-radius: 8px; padding: .75rem 1rem; margin: .75rem 0; }
  .msg footer { margin-top: .5rem; font-size: 12px; color: #6b7385; }
  .msg footer code { background: #f1f3f8; padding: 0 .3rem; border-radius: 4px; }
  .failed { border-color: #e5484d; }
  form { display: flex; gap: .5rem; } input { flex: 1; padding: .5rem; }
</style>
</head>
<body>
<h1>Agent platform demo</h1>
<p>Every message gets a request ID in this page; paste it into <a href="${hopscopeUrl}">Hopscope</a>.</p>
<div id="log"></div>
<form id="chat"><input id="prompt" value="Research vector databases and write code to compare them" autocomplete="off"><button>Send</button></form>
<script type="module">
import { createTracedFetch } from '@hopscope/browser';
const tracedFetch = createTracedFetch({ service: 'ui', servicesEncountered: true });
const log = document.getElementById('log');
document.getElementById('chat').addEventListener('submit', async (event) => {
  event.preventDefault();
  const prompt = document.getElementById('prompt').value;
  const box = document.createElement('div');
  box.className = 'msg';
  const text = document.createElement('div');
  const footer = document.createElement('footer');
  box.append(text, footer);
  log.prepend(box);
  const response = await tracedFetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: prompt }] }),
  });
  const id = response.hopscope.requestId;
  footer.innerHTML = 'Request ID: <code></code> · <a target="_blank">Debug in Hopscope</a>';
  footer.querySelector('code').textContent = id;
  footer.querySelector('a').href = '${hopscopeUrl}/trace/' + encodeURIComponent(id);
  if (!response.ok) {
    box.classList.add('failed');
    text.textContent = 'Error: ' + ((await response.json().catch(() => ({}))).error?.message ?? response.status);
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split('\\n');
    pending = lines.pop();
    for (const line of lines) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      text.textContent += JSON.parse(line.slice(6)).choices?.[0]?.delta?.content ?? '';
    }
  }
});
</script>
</body>
</html>`;
}
