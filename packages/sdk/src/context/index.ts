export * from './context.js';
export * from './request-id.js';
