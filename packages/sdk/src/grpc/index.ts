export { clientTarget, type GrpcClientOptions, grpcClientInterceptor } from './client.js';
export {
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  type GrpcHopOptions,
} from './common.js';
export { type GrpcServerOptions, tracedService } from './server.js';
