import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/**
 * The folder holding the UI's built assets: `HOPSCOPE_UI_DIR` when set (tests build into a temp
 * folder), else the `dist/` of the installed `@hopscope/ui` package. Undefined when neither exists.
 */
export function locateUiDist(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HOPSCOPE_UI_DIR) return resolve(env.HOPSCOPE_UI_DIR);
  try {
    const pkg = createRequire(import.meta.url).resolve('@hopscope/ui/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}
