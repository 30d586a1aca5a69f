export {
  AdaptiveLimiter,
  LimiterToken,
  type LimitChangeEvent,
  type LimiterDeps,
  type LimiterRejectEvent,
  type ReleaseOutcome,
} from './adaptive-limiter.js';
export { AimdLimit } from './aimd-limit.js';
export { createAlgorithm } from './create-algorithm.js';
export { FixedLimit } from './fixed-limit.js';
export { GradientLimit } from './gradient-limit.js';
export type { AlgorithmDeps, LimitAlgorithm, SampleOutcome } from './limit-algorithm.js';
export {
  LimiterAlgorithmSchema,
  LimiterOptionsSchema,
  initialLimit,
  parseLimiterOptions,
  type AimdOptions,
  type GradientOptions,
  type LimiterAlgorithmName,
  type LimiterOptions,
  type ResolvedLimiterOptions,
  type VegasOptions,
} from './limiter-options.js';
export { VegasLimit } from './vegas-limit.js';
export { WfoxStrategy, feedbackOf } from './wfox-strategy.js';
