import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AI_KEY, extractAi } from './normalize.js';
import { loadPriceTable } from './prices.js';

const table = loadPriceTable();

/** Every quoted dotted identifier in the sources that read AI attributes. */
function quotedKeys(file: string): string[] {
  const text = readFileSync(new URL(file, import.meta.url), 'utf8');
  return [...text.matchAll(/'([A-Za-z_][\w]*(?:\.[\w]+)+)'/g)].map((m) => m[1]!);
}

describe('the AI pre-filter', () => {
  it('matches every attribute key the dialects read', () => {
    const keys = [...quotedKeys('./dialects.ts'), ...quotedKeys('./normalize.ts')];
    expect(keys.length).toBeGreaterThan(40);
    expect(keys.filter((k) => !AI_KEY.test(k))).toEqual([]);
  });

  it('skips plain spans and keeps every dialect’s AI spans', () => {
    expect(
      extractAi('GET /users', { 'http.request.method': 'GET', 'user_agent.original': 'x' }, table),
    ).toBeUndefined();
    expect(extractAi('x', { 'user.id': 'u1' }, table)).toEqual({
      sessionId: undefined,
      userId: 'u1',
    });
    expect(extractAi('ai.generateText.doGenerate', {}, table)?.kind).toBe('llm');
    expect(extractAi('chat', { 'gen_ai.operation.name': 'chat' }, table)?.kind).toBe('llm');
    expect(extractAi('call', { 'llm.request.type': 'chat' }, table)?.kind).toBe('llm');
    expect(extractAi('route', { 'decision.type': 'route' }, table)?.kind).toBe('decision');
  });
});
