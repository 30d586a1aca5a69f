import { initialLimit, type ResolvedLimiterOptions } from './limiter-options.js';
import { BoundedLimit } from './limit-algorithm.js';

/** A fixed limit: `initial`, changed only by configuration. */
export class FixedLimit extends BoundedLimit {
  readonly name = 'fixed' as const;

  constructor(options: ResolvedLimiterOptions, initial = initialLimit(options)) {
    super(options, initial);
  }

  onSample(): void {}
}
