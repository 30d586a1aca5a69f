import { unboundedFanOut, sequentialAwaits } from './concurrency-rules.js';
import { flowGraph } from './flow-rules.js';
import { networkWithoutTimeout, nonIdempotentRetry, unguardedDependency } from './network-rules.js';
import type { Rule } from './rule.js';
import { cpuOnEventLoop, modeMismatch, workerIncompatible } from './strategy-rules.js';

/** Every rule, in id order. */
export const RULES: readonly Rule[] = [
  cpuOnEventLoop,
  networkWithoutTimeout,
  unboundedFanOut,
  sequentialAwaits,
  nonIdempotentRetry,
  workerIncompatible,
  modeMismatch,
  unguardedDependency,
  flowGraph,
];

export type { Rule, RuleContext, RuleSettings, AnalyzedUnit } from './rule.js';
