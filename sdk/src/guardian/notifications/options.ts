import { z } from 'zod';
import { parseOptions } from '../../errors/parse-options.js';
import { RetrySchema, type RetryConfig } from '../../policies/options.js';

/** The proposal events a webhook can subscribe to. */
export const NOTIFICATION_EVENTS = [
  'proposal.created',
  'proposal.decided',
  'proposal.applied',
  'proposal.apply-failed',
  'proposal.rolled-back',
] as const;
export type NotificationEventName = (typeof NOTIFICATION_EVENTS)[number];

/** Payload shapes: Fox's own JSON, a Slack incoming webhook, a Teams (Adaptive Card) webhook. */
export const WEBHOOK_FORMATS = ['json', 'slack', 'teams'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

const HeaderName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'expected an HTTP header name');

const WebhookObject = z.strictObject({
  /** Where to POST; `http:` or `https:`. */
  url: z
    .string()
    .max(2048)
    .refine((u) => {
      try {
        const p = new URL(u).protocol;
        return p === 'http:' || p === 'https:';
      } catch {
        return false;
      }
    }, 'expected an http:// or https:// URL'),
  format: z.enum(WEBHOOK_FORMATS).default('json'),
  /**
   * Shared secret for the `Fox-Signature` HMAC-SHA256 header (at least 16 characters). Without
   * one, deliveries are unsigned: fine for Slack and Teams, which do not check signatures.
   */
  secret: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
  /** Which events to send (default: all). */
  events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).optional(),
  /** Fox's retry policy for a delivery (same option as a task's `retry`); 500s and network errors are retried. */
  retry: RetrySchema.prefault({ attempts: 5, delay: 500, maxDelay: 30_000 }),
  /** Per-attempt timeout, ms. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Extra request headers (e.g. an API key the receiver wants). */
  headers: z.record(HeaderName, z.string().max(4096)).optional(),
  /** A name for logs and counters (default: the URL's host). */
  name: z.string().min(1).max(128).optional(),
});

/**
 * Guardian notifications, `fox.configure({ notifications: { webhooks: [...] } })`.
 *
 * @example
 * fox.configure({
 *   store: true,
 *   guardian: { approvers: ['alice', 'bob'] },
 *   notifications: {
 *     webhooks: [
 *       { url: 'https://ops.example.com/fox', secret: process.env.FOX_WEBHOOK_SECRET },
 *       { url: process.env.SLACK_WEBHOOK_URL!, format: 'slack', events: ['proposal.created'] },
 *     ],
 *   },
 * });
 */
export const NotificationsOptionsSchema = z.strictObject({
  webhooks: z.array(WebhookObject).max(20).default([]),
  /**
   * Deliveries waiting (all webhooks together); when full, new ones are dropped and counted,
   * so a dead receiver never grows memory.
   */
  queueLimit: z.number().int().min(1).max(100_000).default(1000),
  /** Deliveries in flight at once. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * Where the HTTP requests run: `'worker'` (default), a worker thread, so sockets and their
   * garbage stay off the thread that makes decisions; `'main'`, this thread (no extra thread).
   */
  thread: z.enum(['worker', 'main']).default('worker'),
});

export type NotificationsOptionsInput = z.input<typeof NotificationsOptionsSchema>;
export type NotificationsOptions = z.output<typeof NotificationsOptionsSchema>;
export type WebhookOptions = z.output<typeof WebhookObject> & { retry: RetryConfig };

/**
 * Validates notification options; throws FoxConfigError naming the option
 * (e.g. `notifications.webhooks.0.url`).
 */
export function parseNotificationsOptions(
  input: unknown,
  prefix: readonly (string | number)[] = ['notifications'],
): NotificationsOptions {
  return parseOptions(NotificationsOptionsSchema, input ?? {}, prefix);
}
