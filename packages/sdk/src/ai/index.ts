export { type AgentOptions, agentStep, invokeAgent } from './agent.js';
export { type AiOptions, configureAi, redactSecrets } from './content.js';
export { type DecisionOptions, decision, decisionAttributes } from './decision.js';
export { recordProviderError } from './errors.js';
export {
  type LlmCall,
  type LlmCallOptions,
  type LlmResponseInfo,
  type LlmStreamOptions,
  type LlmUsage,
  llmCall,
  llmStream,
} from './llm.js';
export { GEN_AI } from './semconv.js';
export { type ToolCallOptions, toolCall } from './tool.js';
