import type { Attempt } from '../modes/strategy.js';

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

/** Calls that ran with an injected fault, for consumers that must exclude them (the tuner). */
const injected = new WeakSet<object>();

export function markInjected(call: object): void {
  injected.add(call);
}

/** True when a fault was injected into this call (a `Call`, e.g. `fox.context()`). */
export function isInjected(call: object): boolean {
  return injected.has(call);
}
