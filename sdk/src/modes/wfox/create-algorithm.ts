import { AimdLimit } from './aimd-limit.js';
import { FixedLimit } from './fixed-limit.js';
import { GradientLimit } from './gradient-limit.js';
import type { ResolvedLimiterOptions } from './limiter-options.js';
import type { AlgorithmDeps, LimitAlgorithm } from './limit-algorithm.js';
import { VegasLimit } from './vegas-limit.js';

/** The algorithm named by `options.algorithm`, starting at `initial`. */
export function createAlgorithm(
  options: ResolvedLimiterOptions,
  deps: AlgorithmDeps,
  initial?: number,
): LimitAlgorithm {
  switch (options.algorithm) {
    case 'gradient':
      return new GradientLimit(options, deps, initial);
    case 'vegas':
      return new VegasLimit(options, deps, initial);
    case 'aimd':
      return new AimdLimit(options, deps.clock, initial);
    case 'fixed':
      return new FixedLimit(options, initial);
  }
}
