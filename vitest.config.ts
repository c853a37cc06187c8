import { defineConfig } from 'vitest/config';

// Tests import workspace packages through the "source" export condition, so a change in one
// package's src is seen by another package's tests without a rebuild.
const conditions = ['source', 'node', 'import', 'default'];
// Vitest passes the SSR conditions to the test processes as node `--conditions`; `import` there
// would make require() pick ESM entries of CJS packages (express' router breaks), so node gets
// only `source` on top of its own defaults.
const nodeConditions = ['source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: ['source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // eventsource-parser's `source` export points at .ts files Node cannot load: the Vercel AI
    // SDK packages that import it go through Vite, which can.
    server: {
      deps: { inline: [/\/node_modules\/(ai|@ai-sdk\/[^/]+|eventsource-parser)\//] },
    },
  },
});
