export { formatDuration, parseRuleDuration } from './duration.js';
export { evaluateRule, type Observation } from './evaluate.js';
export { AlertEvaluator, type EvaluatorOptions } from './evaluator.js';
export {
  AlertRulesError,
  alertRulesFileOf,
  loadAlertRules,
  parseAlertRules,
  parseAlertRulesText,
} from './load.js';
export { AlertMetrics } from './metrics.js';
export { slackMessage, WebhookNotifier } from './notify.js';
export { type PrometheusExport, promAlertName, prometheusRules } from './prometheus.js';
export { type AlertRulesText, editRulesFile, readRulesFile } from './rules-file.js';
export {
  type AlertRule,
  type AlertRulesFile,
  type AlertRulesInput,
  DEFAULT_BURN_WINDOWS,
  type WebhookConfig,
} from './schema.js';
export { type AlertStateName, type RuleState, step } from './state.js';
