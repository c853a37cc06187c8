export type { Env } from './env.js';
export {
  DEFAULT_ENDPOINT,
  DEFAULT_REQUEST_ID_ALIASES,
  DEFAULT_SERVICE_NAME,
  HopscopeConfigError,
  type HopscopeOptions,
  isLogLevel,
  LOG_LEVELS,
  type LogDestination,
  type LogLevel,
  logLevelFromEnv,
  type ResolvedOptions,
  resolveOptions,
  type SamplerOption,
  serviceNameFromEnv,
} from './options.js';
export {
  getConfig,
  getConfigVersion,
  getServiceName,
  isInitialised,
  onConfigChange,
  setActiveConfig,
} from './state.js';
