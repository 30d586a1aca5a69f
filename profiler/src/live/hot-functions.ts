import type { CpuFunctionStats } from '@fox/sdk/protocol';
import { busiestFirst, type CpuProfileWindows } from './cpu-functions.js';
import type { HotFunctionView } from './view.js';

/** Rows per process in the "Hot functions" table: the busiest, enough to find the culprit. */
export const HOT_FUNCTIONS_PER_PROCESS = 15;

/** How far back the live table sums: every window the profiler keeps in memory (30 min). */
const LIVE_MINUTES = 30;

/** The fields of a per-function CPU sum the table shows (live windows and stored rows alike). */
export type CpuSum = Omit<CpuFunctionStats, 'column'>;

/** One process's sums as table rows, busiest first (whatever order they came in). */
export function hotFunctionRows(
  processId: string,
  sums: readonly CpuSum[],
  limit = HOT_FUNCTIONS_PER_PROCESS,
): HotFunctionView[] {
  return [...sums]
    .sort(busiestFirst)
    .slice(0, limit)
    .map(({ file, line, name, selfMs, totalMs, samples, longestSyncMs }) => ({
      processId,
      file,
      line,
      name,
      selfMs,
      totalMs,
      samples,
      longestSyncMs,
    }));
}

/**
 * The live table: per process of the state, its functions over the windows the profiler holds,
 * then all of them busiest first. Undefined when no process has sent a CPU window, so that
 * states without sampling stay as they were.
 */
export function liveHotFunctions(
  cpu: CpuProfileWindows,
  processIds: readonly string[],
): HotFunctionView[] | undefined {
  if (cpu.size === 0) return undefined;
  const rows = processIds.flatMap((id) =>
    hotFunctionRows(id, cpu.functions({ processId: id, minutes: LIVE_MINUTES })),
  );
  return rows.length === 0 ? undefined : rows.sort((a, b) => b.totalMs - a.totalMs);
}
