/** Where the demo's parts live, from this file (src/ under Vitest, dist/ when built). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const demoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoRoot = resolve(demoRoot, '..', '..');
export const pythonSource = join(repoRoot, 'python', 'src');
export const pythonWorkerScript = join(demoRoot, 'python', 'worker.py');
export const cliBin = join(repoRoot, 'packages', 'cli', 'dist', 'bin.js');

export function serviceScript(name: string): string {
  return join(demoRoot, 'dist', 'services', `${name}.js`);
}

/** Services run as built JavaScript: say how to build when they are not there. */
export function requireBuilt(paths: string[]): void {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `the demo runs built services, missing: ${missing.join(', ')} — run \`npx tsc -b\` at the repository root`,
    );
  }
}
