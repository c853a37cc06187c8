export * from './config/index.js';
export * from './context/index.js';
export * from './log/index.js';
export * from './trace/index.js';
