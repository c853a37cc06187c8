import type { Attributes } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import type { HopOptions } from '../propagation/hop.js';

/** RPC semantic conventions (gRPC); incubating in @opentelemetry/semantic-conventions. */
export const ATTR_RPC_SYSTEM = 'rpc.system';
export const ATTR_RPC_SERVICE = 'rpc.service';
export const ATTR_RPC_METHOD = 'rpc.method';
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';

export interface GrpcHopOptions extends HopOptions {
  /**
   * Carry `x-services-encountered` in metadata. Default: `init({ trackServicesEncountered })`.
   */
  servicesEncountered?: boolean;
}

/** `/pkg.Service/Method` → span name `pkg.Service/Method` and the rpc.* attributes. */
export function rpcAttributes(path: string): { name: string; attributes: Attributes } {
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  const slash = trimmed.lastIndexOf('/');
  const service = slash > 0 ? trimmed.slice(0, slash) : trimmed;
  const method = slash > 0 ? trimmed.slice(slash + 1) : '';
  return {
    name: trimmed.slice(0, 256) || 'grpc',
    attributes: {
      [ATTR_RPC_SYSTEM]: 'grpc',
      [ATTR_RPC_SERVICE]: service.slice(0, 256),
      [ATTR_RPC_METHOD]: method.slice(0, 256),
    },
  };
}

/** `host:port` targets (`dns:///h:p`, `127.0.0.1:50051`, `[::1]:50051`) → server.* attributes. */
export function targetAttributes(target: string | undefined): Attributes {
  if (target === undefined) return {};
  const bare = target.replace(/^[a-z]+:(\/\/\/?)?/, '');
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(bare);
  if (m === null) return {};
  return {
    [ATTR_SERVER_ADDRESS]: m[1],
    ...(m[2] === undefined ? {} : { [ATTR_SERVER_PORT]: Number(m[2]) }),
  };
}
