import type { Attempt } from '../task/call.js';
import { processSlot } from '../state/process-state.js';

/**
 * What a task runs its attempts through while a chaos experiment targets it. The task calls
 * `wrap` once when it composes its pipeline (never per call), so a task no experiment targets
 * pays nothing on its hot path.
 */
export interface ChaosHook {
  /** The experiment injecting through this hook; tags the spans of injected calls. */
  readonly experimentId: string;
  wrap(attempt: Attempt): Attempt;
}

/**
 * Calls that ran with an injected fault, for consumers that must exclude them (the tuner). One
 * set for the process: the forge of one copy of the sdk injects into tasks of another.
 */
const injected = processSlot('chaos.injected.v1', () => new WeakSet<object>());

export function markInjected(call: object): void {
  injected.add(call);
}

/** True when a fault was injected into this call (a `Call`, e.g. `fox.context()`). */
export function isInjected(call: object): boolean {
  return injected.has(call);
}
