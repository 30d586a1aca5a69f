import { registerFoxErrorClass } from '../../errors/registry.js';
import { GuardianError } from '../errors.js';

/**
 * One delivery attempt of a webhook failed: a non-2xx status, a timeout or a network error.
 * `retryable` says whether another attempt can help (5xx, 408, 425, 429, timeouts and network
 * errors can; other 4xx and redirects cannot, so they are not retried).
 */
export class WebhookDeliveryError extends GuardianError {
  constructor(
    message: string,
    /** The HTTP status, when the receiver answered. */
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super('GUARDIAN_WEBHOOK_FAILED', message, options);
    this.name = 'WebhookDeliveryError';
  }
}

registerFoxErrorClass(WebhookDeliveryError, 'GUARDIAN_WEBHOOK_FAILED');

/** Whether a status is worth another attempt (the receiver or something before it is busy). */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}
