export * from './config/index.js';
export * from './context/index.js';
export * from './errors/index.js';
export { getHandle, type HopscopeHandle, init } from './init.js';
export * from './log/index.js';
export * from './propagation/index.js';
export * from './trace/index.js';
