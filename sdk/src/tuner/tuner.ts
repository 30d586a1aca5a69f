/**
 * The tuner of a process: one {@link TaskTuner} per tunable task, driven by one repeating timer
 * on the runtime's clock. Runs only with the store (lineage) and the guardian (adoption).
 *
 * A task is tunable when it has policies with a tunable parameter and either its own `tune`
 * option is set, or `fox.configure({ tune })` turned tuning on for all tasks (`allTasks`).
 */
import { repeatEvery, type RepeatingTimer } from '../clock/clock.js';
import { parseOptions } from '../errors/parse-options.js';
import {
  TuneOptionSchema,
  type TuneOption,
  type TuneOptionInput,
} from '../policies/tune-options.js';
import type { FoxStore } from '../store/store.js';
import type { Generation, LineageStore } from './lineage-store.js';
import { TUNER_LINEAGE } from './lineage-store.js';
import {
  TaskTuner,
  type TaskTunerDeps,
  type TaskTunerStatus,
  type TunableTask,
} from './task-tuner.js';

/** What the tuner runs on: a task tuner's dependencies, with the store its lineage lives in. */
export interface TunerDeps extends Omit<TaskTunerDeps, 'lineage'> {
  store: FoxStore;
  /** Whether tuning is on for tasks without their own `tune` option. */
  enabledForAll: boolean;
}

export class Tuner {
  private readonly tuners = new Map<string, TaskTuner>();
  private readonly lineage: LineageStore;
  private timer: RepeatingTimer | undefined;

  constructor(private readonly deps: TunerDeps) {
    this.lineage = deps.store.use(TUNER_LINEAGE);
    this.timer = repeatEvery(deps.clock, deps.settings.tickMs, () => this.tickAll());
  }

  /** Starts tuning `task` when it is tunable; restores its lineage. Returns whether it tunes. */
  add(task: TunableTask & { readonly options: { tune?: TuneOption | undefined } }): boolean {
    if (this.tuners.has(task.id)) return true;
    const own = task.options.tune;
    if (own === false) return false;
    const tune: TuneOption = own ?? (this.deps.enabledForAll ? true : false);
    if (tune === false || !task.policyChain) return false;
    const t = new TaskTuner(task, tune, { ...this.deps, lineage: this.lineage });
    // Nothing to tune (no gene, e.g. only a percentile hedge or every policy pinned).
    if (Object.keys(t.status().genome).length === 0) {
      t.dispose();
      return false;
    }
    this.tuners.set(task.id, t);
    t.start();
    return true;
  }

  /** Runs one step of every task's tuner (the timer does this every `tickMs`). */
  async tickAll(): Promise<void> {
    await Promise.all([...this.tuners.values()].map((t) => t.tick()));
  }

  status(taskId?: string): TaskTunerStatus[] {
    const all = [...this.tuners.values()].map((t) => t.status());
    return taskId === undefined ? all : all.filter((s) => s.taskId === taskId);
  }

  history(taskId?: string, limit?: number): Generation[] {
    return this.lineage.history(taskId, limit);
  }

  /** Sets a task's bounds (the `tune` option's shape); false when the task is not tuned. */
  setBounds(taskId: string, tune: TuneOptionInput): boolean {
    const t = this.tuners.get(taskId);
    if (!t) return false;
    t.setTune(parseOptions(TuneOptionSchema, tune, ['tune'], taskId));
    return true;
  }

  pause(taskId: string): boolean {
    const t = this.tuners.get(taskId);
    t?.pause();
    return t !== undefined;
  }

  resume(taskId: string): boolean {
    const t = this.tuners.get(taskId);
    t?.resume();
    return t !== undefined;
  }

  dispose(): void {
    this.timer?.cancel();
    this.timer = undefined;
    for (const t of this.tuners.values()) t.dispose();
    this.tuners.clear();
  }
}
