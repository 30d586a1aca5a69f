/**
 * `@fox/sdk/protocol`: the contracts between a Fox program and the tools — the zod schemas of
 * every frame that crosses a process boundary (exporter → profiler, profiler → UI, approvals)
 * and the task id format. It imports only zod (a browser bundle that needs only task ids takes
 * `@fox/sdk/task-id`, which imports nothing).
 *
 * ```ts
 * import { parseExporterFrame, parseTaskId } from '@fox/sdk/protocol';
 * ```
 */
export * from './modes.js';
export * from './stats.js';
export * from './wire.js';
export * from './flow-run.js';
export * from './task-id.js';
export * from './dfox-job.js';
