import { z } from 'zod';

/**
 * The Redis a process's dfox queues use: a `redis://` / `rediss://` URL or ioredis options
 * (host, port, username, password, db, tls, …: passed through). Default: `FOX_REDIS`.
 * BullMQ needs `maxmemory-policy noeviction` on it; keep a cache's Redis separate.
 */
export const RedisOptionSchema = z.union([
  z.string().regex(/^rediss?:\/\/[^\s]+$/, 'expected a redis:// or rediss:// URL'),
  z.record(z.string(), z.unknown()),
]);
export type RedisOption = z.input<typeof RedisOptionSchema>;

/** `fox.configure({ dfox })`: limits and waits of dfox calls in this process. */
export const DfoxConfigSchema = z
  .object({
    /** Largest job payload (task id, JSON arguments, trace) in bytes; default 512 KiB. */
    maxPayloadBytes: z
      .number()
      .int()
      .min(1024)
      .max(512 * 1024 * 1024)
      .optional(),
    /**
     * How long a call waits for Redis to become reachable before it fails with
     * FOX_UNAVAILABLE (default 2000 ms). A task's timeout still applies on top.
     */
    unavailableAfterMs: z.number().int().min(0).max(3_600_000).optional(),
    /** BullMQ key prefix (default `fox`), so Fox's queues are easy to tell apart. */
    prefix: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^\s:]+$/, 'must not contain spaces or colons')
      .optional(),
  })
  .strict();
export type DfoxConfig = z.output<typeof DfoxConfigSchema>;

export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;
export const DEFAULT_UNAVAILABLE_AFTER_MS = 2000;
export const DEFAULT_PREFIX = 'fox';

/** ioredis options for a URL or an options object (`maxRetriesPerRequest: null`, as BullMQ wants). */
export function connectionOptions(redis: RedisOption): Record<string, unknown> {
  const base: Record<string, unknown> =
    typeof redis === 'string' ? fromUrl(redis) : { ...(redis as Record<string, unknown>) };
  return { maxRetriesPerRequest: null, ...base };
}

function fromUrl(text: string): Record<string, unknown> {
  const url = new URL(text);
  const out: Record<string, unknown> = {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
  };
  if (url.username) out['username'] = decodeURIComponent(url.username);
  if (url.password) out['password'] = decodeURIComponent(url.password);
  const db = url.pathname.replace(/^\//, '');
  if (db) out['db'] = Number(db);
  if (url.protocol === 'rediss:') out['tls'] = {};
  return out;
}
