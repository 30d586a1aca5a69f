import { z } from 'zod';

const QueueNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[^\s:]+$/, 'must not contain spaces or colons (BullMQ uses colons in its keys)');

/**
 * The `queue` option of a dfox task: a queue name, or `{ name, attempts, backoff, jobId, run }`.
 * `attempts` are BullMQ's own (queue-side) retries; a task has either these or a caller-side
 * `retry` policy, never both. `jobId` derives a stable id from the arguments, so enqueueing
 * the same work twice is one job (BullMQ ignores an add whose id exists).
 */
export const QueueOptionSchema = z
  .union([
    QueueNameSchema,
    z
      .object({
        name: QueueNameSchema,
        attempts: z.number().int().min(1).max(100).optional(),
        /**
         * How a worker runs the function: `direct` on its event loop, or `tfox` on its
         * worker-thread pool (CPU-heavy tasks). Default: tfox when the analyser recommends
         * it for the task (`.fox/analysis.json` under the worker's root), else direct.
         */
        run: z.enum(['direct', 'tfox']).optional(),
        /** Fixed delay between queue-side attempts, ms. */
        backoff: z.number().int().min(0).max(86_400_000).optional(),
        jobId: z
          .custom<(...args: never[]) => string>((v) => typeof v === 'function', {
            message: 'expected a function of the arguments returning a string',
          })
          .optional(),
      })
      .strict(),
  ])
  .transform((v) => (typeof v === 'string' ? { name: v } : v));

export type QueueOption = z.input<typeof QueueOptionSchema>;
export type ResolvedQueueOption = z.output<typeof QueueOptionSchema>;
