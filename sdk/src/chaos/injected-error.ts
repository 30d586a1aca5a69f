import { FoxError, isFoxErrorCode, type FoxErrorCode } from '../errors/errors.js';
import { registerFoxErrorClass } from '../errors/registry.js';
import type { Fault } from './experiment.js';

/**
 * The failure an `error` fault injects, when its code is one of Fox's (`FOX_CHAOS_INJECTED` by
 * default): a FoxError, with the fault's name and message and `chaos: true`.
 */
export class ChaosInjectedError extends FoxError {
  /** Marks every injected failure (Fox's own or an imitation; see {@link injectedError}). */
  readonly chaos = true as const;

  constructor(code: FoxErrorCode, name: string, message: string) {
    super(code, message);
    this.name = name;
  }
}
registerFoxErrorClass(ChaosInjectedError, 'FOX_CHAOS_INJECTED');

/**
 * The error an `error` fault throws. With a Fox code it is a {@link ChaosInjectedError}. With
 * any other code the experiment imitates a failure from outside Fox (`ECONNRESET` from a
 * client library, say) so that retry filters and fallbacks keyed on that code react as they
 * would in production: then it is a plain Error with that code, as the real one would be.
 */
export function injectedError(fault: Extract<Fault, { type: 'error' }>): Error {
  if (isFoxErrorCode(fault.code))
    return new ChaosInjectedError(fault.code, fault.name, fault.message);
  const err = new Error(fault.message) as Error & { code: string; chaos: true };
  err.name = fault.name;
  err.code = fault.code;
  err.chaos = true;
  return err;
}
