import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const src = fileURLToPath(new URL('./src', import.meta.url));
const dist = fileURLToPath(new URL('./dist', import.meta.url));

// No React plugin: Vite's own transform handles TSX with the automatic runtime, and the UI has no
// need for fast refresh badly enough to pull Babel in. `HOPSCOPE_UI_OUT` lets tests build aside.
export default defineConfig({
  root: src,
  base: '/',
  publicDir: false,
  logLevel: process.env.HOPSCOPE_UI_OUT ? 'warn' : 'info',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: process.env.HOPSCOPE_UI_OUT ?? dist,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    proxy: { '/api': process.env.HOPSCOPE_URL ?? 'http://127.0.0.1:4318' },
  },
});
