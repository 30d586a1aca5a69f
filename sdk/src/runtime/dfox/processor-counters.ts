/**
 * What a worker counts, for its own stats and the tests. In a module of its own: the public
 * `FoxWorker` type names it, and the processor's module imports bullmq's types, which the sdk's
 * declarations must not need (bullmq is an optional peer).
 */
export interface ProcessorCounters {
  ran: number;
  refused: number;
  failed: number;
}
