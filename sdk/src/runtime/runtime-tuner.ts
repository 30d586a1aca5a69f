import type { Clock } from '../clock/clock.js';
import type { FoxStore } from '../store/store.js';
import type { Task } from '../task/task.js';
import { Tuner } from '../tuner/tuner.js';
import { tunerSettings, type TunerConfigInput } from '../tuner/tuner-options.js';
import type { GuardianRuntime } from './runtime-guardian.js';

export interface TunerRuntimeOptions {
  store: FoxStore;
  guardian: Pick<GuardianRuntime, 'guardian' | 'audit' | 'notifier'>;
  clock: Clock;
  /** `fox.configure({ tune })`, if given. */
  tune: TunerConfigInput | undefined;
  /** The tasks registered so far; later ones are added by the runtime. */
  tasks: readonly Task[];
}

/**
 * Starts the tuner on the runtime's store and guardian when tuning is on: for all tasks
 * (`fox.configure({ tune })`), or for the tasks that have their own `tune` option. Returns
 * undefined when nothing is to be tuned (no timer runs then).
 */
export function startTuner(options: TunerRuntimeOptions): Tuner | undefined {
  const forAll = options.tune !== undefined && options.tune !== false;
  const someTask = options.tasks.some((t) => t.options.tune);
  if (!forAll && !someTask) return undefined;
  const settings = tunerSettings(options.tune ?? true);
  const tuner = new Tuner({
    clock: options.clock,
    store: options.store,
    guardian: options.guardian.guardian,
    audit: options.guardian.audit,
    settings,
    enabledForAll: forAll && settings.allTasks,
    onRollback: (proposalId, detail) => {
      const p = options.guardian.guardian.get(proposalId);
      if (p) options.guardian.notifier.rolledBack(p, detail);
    },
  });
  for (const t of options.tasks) tuner.add(t);
  return tuner;
}
