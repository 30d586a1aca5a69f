/**
 * Typed errors of the guardian, each with a stable `code` so callers (the CLI, the profiler
 * relay, the extension) can branch without matching messages.
 */
export type GuardianErrorCode =
  | 'GUARDIAN_UNKNOWN_PROPOSAL'
  | 'GUARDIAN_NOT_PENDING'
  | 'GUARDIAN_EXPIRED'
  | 'GUARDIAN_NOT_AN_APPROVER'
  | 'GUARDIAN_SELF_APPROVAL'
  | 'GUARDIAN_DUPLICATE_VOTE'
  | 'GUARDIAN_HASH_MISMATCH'
  | 'GUARDIAN_INVALID_PROPOSAL'
  | 'GUARDIAN_AUDIT_FAILED';

export class GuardianError extends Error {
  constructor(
    readonly code: GuardianErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GuardianError';
  }
}

export function isGuardianError(value: unknown, code?: GuardianErrorCode): value is GuardianError {
  return value instanceof GuardianError && (code === undefined || value.code === code);
}
