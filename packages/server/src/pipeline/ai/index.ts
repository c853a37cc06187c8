export { type CostResult, priceCall } from './cost.js';
export { extractAi, normaliseBatch } from './normalize.js';
export {
  bareModel,
  loadPriceTable,
  type PriceEntry,
  type PriceFile,
  PriceTable,
  parsePriceFile,
  shippedPrices,
} from './prices.js';
export { withAiNormalisation } from './stage.js';
export type { AiFields, AiKind, AiTokens, CostSource } from './types.js';
