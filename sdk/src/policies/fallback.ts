/**
 * Fallback: when the call fails with an error `on` accepts (default: any error except the
 * caller aborting — a caller that gave up wants no answer), answer with a value or the result
 * of a handler `(error, args)`. A handler that throws fails the call with its own error.
 */
import type { Attempt, Call } from '../task/call.js';
import { errorCode } from './errors.js';
import {
  PolicyBase,
  errorFilter,
  type ConfigOf,
  type PolicyContext,
  type PolicyEmitters,
} from './policy.js';

export class FallbackPolicy extends PolicyBase<'fallback'> {
  private accepts: (error: unknown) => boolean;

  constructor(config: ConfigOf<'fallback'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('fallback', config, ctx, emit);
    this.accepts = this.filterOf();
  }

  protected override configured(): void {
    this.accepts = this.filterOf();
  }

  private filterOf(): (error: unknown) => boolean {
    return errorFilter(this.cfg.on, (_e, code) => code !== 'FOX_ABORTED', errorCode);
  }

  wrap(inner: Attempt): Attempt {
    return async (call) => {
      try {
        return await inner(call);
      } catch (err) {
        return this.recover(err, call);
      }
    };
  }

  private recover(err: unknown, call: Call): unknown {
    if (!this.accepts(err)) throw err;
    const e = this.emit.fallback;
    if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, error: err });
    const cfg = this.cfg;
    return cfg.handler ? cfg.handler(err, call.args) : cfg.value;
  }
}
