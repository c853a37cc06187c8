import { hostname } from 'node:os';
import {
  defaultResource,
  detectResources,
  envDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { ResolvedOptions } from '../config/index.js';

/**
 * The resource every span and log record carries: SDK defaults, then OTEL_RESOURCE_ATTRIBUTES,
 * then the options (service name, version, environment win over the environment).
 */
export function buildResource(options: ResolvedOptions): Resource {
  const own: Record<string, string | number | boolean> = {
    'host.name': hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
  };
  for (const [key, value] of Object.entries(options.resourceAttributes)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      own[key] = value;
    }
  }
  own[ATTR_SERVICE_NAME] = options.service;
  if (options.version !== undefined) own[ATTR_SERVICE_VERSION] = options.version;
  if (options.environment !== undefined) own['deployment.environment.name'] = options.environment;
  return defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes(own));
}
