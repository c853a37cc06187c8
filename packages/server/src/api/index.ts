export { type ApiDeps, createApi, type IngestStatus } from './app.js';
export type * from './types.js';
