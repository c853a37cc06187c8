/** The package is tree-shakeable and free of Node built-ins: checked on real Vite bundles. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const shake = fileURLToPath(new URL('./fixture/shake/', import.meta.url));

async function bundle(entry: string): Promise<string> {
  const { build } = await import('vite');
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    oxc: { jsx: { runtime: 'automatic' } },
    build: {
      write: false,
      minify: false,
      lib: { entry: `${shake}${entry}`, formats: ['es'] },
      rolldownOptions: { external: [/^react/] },
    },
  });
  const outputs = Array.isArray(out) ? out : [out];
  return outputs
    .flatMap((o) => ('output' in o ? o.output : []))
    .map((chunk) => ('code' in chunk ? chunk.code : ''))
    .join('\n');
}

describe('bundles', () => {
  it('importing only generateRequestId leaves fetch and React out', async () => {
    const code = await bundle('only-ids.ts');
    expect(code).toContain('req_');
    expect(code).not.toContain('x-services-encountered');
    expect(code).not.toContain('RequestIdBadge');
    expect(code).not.toMatch(/from ['"]react/);
  });

  it('the full surface imports nothing from Node', async () => {
    const code = await bundle('badge.ts');
    expect(code).toContain('data-hopscope-request-id');
    expect(code).not.toMatch(/from ['"](node:|fs|http|crypto|async_hooks)/);
    expect(code).not.toMatch(/require\(/);
  });
});
