import { isIP } from 'node:net';
import { z } from 'zod';

/** The Prometheus endpoint: where it listens and who may read it. */
export const MetricsServerOptionsSchema = z.strictObject({
  /** TCP port (0: any free port; read the bound one from the runtime's metrics endpoint). */
  port: z.number().int().min(0).max(65_535),
  /**
   * Interface to listen on. Default loopback (`127.0.0.1`): a program's metrics are not for the
   * network unless it says so (e.g. `'0.0.0.0'` in a container, best with a token).
   */
  host: z
    .string()
    .refine((h) => isIP(h) !== 0 || h === 'localhost', 'expected an IP address or localhost')
    .default('127.0.0.1'),
  /**
   * Bearer token scrapers must send (`Authorization: Bearer <token>`); requests without it get
   * 401. At least 16 characters of printable ASCII (Prometheus' `authorization.credentials`).
   */
  token: z
    .string()
    .min(16, 'expected at least 16 characters')
    .max(4096)
    .regex(/^[\x21-\x7e]+$/, 'expected printable ASCII without spaces')
    .optional(),
  /** Path of the endpoint (default `/metrics`). */
  path: z
    .string()
    .regex(/^\/[^\s?#]*$/, "expected a path starting with '/'")
    .default('/metrics'),
});
export type MetricsServerOptions = z.output<typeof MetricsServerOptionsSchema>;
export type MetricsServerInput = z.input<typeof MetricsServerOptionsSchema>;

/**
 * `fox.configure({ metrics })`: serve the metrics in the Prometheus text format
 * (`{ port, host?, token?, path? }`), or `false` to stop serving. Issues are reported at their
 * own path (`metrics.port`), not as a failed union.
 */
export const MetricsOptionSchema = z
  .custom<MetricsServerInput | false>()
  .transform((v, ctx): MetricsServerOptions | false => {
    if (v === false) return false;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: 'expected { port, host?, token?, path? } or false' });
      return z.NEVER;
    }
    const r = MetricsServerOptionsSchema.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ ...issue } as never);
    return z.NEVER;
  });
