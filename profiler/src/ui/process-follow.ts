import type { ProcessView } from '../live/view.js';

/**
 * The most recently started of the connected processes that `known` did not have (a new run),
 * or undefined when none arrived. No DOM here: node tests use it too.
 */
export function newestArrival(
  known: ReadonlySet<string>,
  processes: readonly ProcessView[],
): ProcessView | undefined {
  let newest: ProcessView | undefined;
  for (const p of processes) {
    if (!p.connected || known.has(p.id)) continue;
    if (!newest || p.startedAt > newest.startedAt) newest = p;
  }
  return newest;
}
