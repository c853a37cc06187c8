export { connectTraced, sendTraced, type WsClientOptions } from './client.js';
export {
  type TracedConnection,
  traceConnection,
  type WsMessage,
  type WsMessageHandler,
  type WsServerOptions,
} from './server.js';
