export {
  type AgentMessage,
  ATTR_AGENT_HOP_COUNT,
  ATTR_AGENT_PATH,
  agentMessageContext,
  childOf,
  RequestTrace,
  startRequestTrace,
  withCorrelation,
} from './agents.js';
export {
  enrichJson,
  enrichJsonHono,
  enrichJsonResponse,
  enrichJsonResponses,
  type ResponseTraceFields,
  responseTraceFields,
} from './enrich.js';
export {
  type ReceivedTraceMetadata,
  type TraceMetadata,
  type TraceMetadataOptions,
  traceMetadata,
  traceMetadataFrom,
  withTraceMetadata,
} from './metadata.js';
