/**
 * Typed errors of the guardian, each with a stable `code` so callers (the CLI, the profiler
 * relay, the extension) can branch without matching messages. A GuardianError is a FoxError:
 * `isFoxError` and `hasFoxCode` hold for it.
 */
import { FOX_ERROR_CODES, FoxError, isFoxError, type FoxErrorCode } from '../errors/errors.js';
import { registerFoxErrorClass } from '../errors/registry.js';

/** The guardian's codes (a subset of {@link FoxErrorCode}). */
export type GuardianErrorCode = Extract<FoxErrorCode, `GUARDIAN_${string}`>;

export class GuardianError extends FoxError {
  declare readonly code: GuardianErrorCode;

  constructor(code: GuardianErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'GuardianError';
  }
}

registerFoxErrorClass(
  GuardianError,
  // Every guardian code, read from the one list of codes rather than written out again.
  ...FOX_ERROR_CODES.filter((c): c is GuardianErrorCode => c.startsWith('GUARDIAN_')),
);

/**
 * True for a guardian error (optionally with the given code) from any copy of the sdk: by the
 * Fox brand and a `GUARDIAN_` code, not by class.
 */
export function isGuardianError(value: unknown, code?: GuardianErrorCode): value is GuardianError {
  return (
    isFoxError(value) &&
    value.code.startsWith('GUARDIAN_') &&
    (code === undefined || value.code === code)
  );
}
