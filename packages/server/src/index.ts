export type * from './store/reader.js';
export type * from './store/records.js';
export type * from './store/store.js';
export * from './ingest/log-lines/index.js';
