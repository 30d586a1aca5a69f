import { FoxMissingPeerError } from './errors.js';

/** The part of the `bullmq` module dfox uses. */
export type BullMQ = typeof import('bullmq');

let loading: Promise<BullMQ> | undefined;

/**
 * `bullmq` is an optional peer of @fox/sdk: it is imported on first use of dfox only, so
 * programs that never distribute work neither need it nor load it.
 */
export function loadBullMQ(feature = 'mode: dfox'): Promise<BullMQ> {
  return (loading ??= import('bullmq').catch((err: unknown) => {
    loading = undefined;
    const code = (err as { code?: string } | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new FoxMissingPeerError('bullmq', feature, err);
    }
    throw err;
  }));
}
