import type { ChaosTarget } from '../chaos/forge.js';
import type { Task } from '../task/task.js';

/** Adapts a runtime task to what the forge targets (hook + fallback events). */
export function chaosTargetOf(task: Task): ChaosTarget {
  const chain = task.policyChain;
  return {
    id: task.id,
    setChaos: (hook) => task.setChaos(hook),
    onFallback: chain?.get('fallback')
      ? (listener) => chain.events.fallback(() => listener())
      : undefined,
  };
}
