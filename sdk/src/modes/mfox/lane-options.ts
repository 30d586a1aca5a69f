import { z } from 'zod';

const LaneSettingSchema = z
  .object({
    /** Operations of this lane running at once. */
    limit: z.number().int().min(1).max(100_000).optional(),
    /** Operations allowed to wait; more are refused with FoxRejectedError. */
    queue: z.number().int().min(0).max(10_000_000).optional(),
  })
  .strict();

/**
 * `fox.configure({ lanes })`: per-lane limits by name (`fs`, `net`, `io`, any custom lane, or
 * `origin:https://api.example.com`), and `originDefault` for origins not named.
 */
export const LanesOptionsSchema = z.record(z.string().min(1), LaneSettingSchema);
export type LanesOptions = z.input<typeof LanesOptionsSchema>;

export interface LaneDefaults {
  limit: number;
  queue: number;
}

/**
 * Defaults: `fs` 64 (well under any file-descriptor limit, and more parallel reads than the
 * libuv pool's 4 threads can use), `net` 64, each HTTP origin 16 (browsers use 6 per origin;
 * servers tolerate more), and `io` 32 for mfox tasks that name no lane.
 */
export const BUILTIN_LANES: Record<string, LaneDefaults> = {
  fs: { limit: 64, queue: 1_000_000 },
  net: { limit: 64, queue: 1_000_000 },
  io: { limit: 32, queue: 1_000_000 },
  originDefault: { limit: 16, queue: 1_000_000 },
};
