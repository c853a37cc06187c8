export {
  loadSamplingConfig,
  type PolicyConfig,
  parseSamplingConfig,
  type SamplingConfig,
  SamplingConfigError,
  type SamplingConfigInput,
} from './config.js';
export { type SamplingFlags, samplingFromFlags } from './flags.js';
export { registerSamplingMetrics } from './metrics.js';
export { probabilityThreshold, type TraceView, traceRandomness } from './policies.js';
export {
  SamplingStage,
  type SamplingStageOptions,
  type SamplingStatus,
  withTailSampling,
} from './stage.js';
export { type HeldBatch, type SamplingCounts, TailSampler } from './tail-sampler.js';
