import { GuardianError } from './errors.js';
import {
  LimiterChangePayloadSchema,
  PolicyChangePayloadSchema,
  StrategyChangePayloadSchema,
  type Proposal,
} from './proposal.js';

/** What the guardian needs of a live task to apply a change (a runtime `Task` fits). */
export interface GuardedTask {
  setStrategy?(mode: 'sfox' | 'wfox' | 'tfox' | 'mfox'): Promise<void>;
  readonly policies?:
    { get(kind: never): { configure(partial: unknown): void } | undefined } | undefined;
  readonly limiter?: { configure(partial: never): void } | undefined;
}

export type TaskResolver = (taskId: string) => GuardedTask | undefined;

/** Applies one approved proposal; throwing marks it `failed` in the log. */
export type ChangeApplier = (proposal: Proposal) => unknown;

/**
 * The appliers of the built-in kinds: a strategy switch (`task.setStrategy`), a policy parameter
 * (`policies.get(kind).configure`), a wfox limiter parameter (`limiter.configure`). Payloads are
 * re-validated here, since an approved payload may come from any process on the store.
 */
export function taskApplier(resolve: TaskResolver): ChangeApplier {
  return async (p) => {
    if (p.taskId === null)
      throw new GuardianError('GUARDIAN_INVALID_PROPOSAL', `${p.kind} needs a task id`);
    const task = resolve(p.taskId);
    if (!task)
      throw new GuardianError('GUARDIAN_INVALID_PROPOSAL', `no task ${p.taskId} in this process`);
    switch (p.kind) {
      case 'strategy-change': {
        const { to } = StrategyChangePayloadSchema.parse(p.payload);
        if (!task.setStrategy) throw new Error(`task ${p.taskId} cannot switch strategy`);
        await task.setStrategy(to);
        return;
      }
      case 'policy-change': {
        const { policy, config } = PolicyChangePayloadSchema.parse(p.payload);
        const target = task.policies?.get(policy as never);
        if (!target) throw new Error(`task ${p.taskId} has no ${policy} policy`);
        target.configure(config);
        return;
      }
      case 'limiter-change': {
        const { config } = LimiterChangePayloadSchema.parse(p.payload);
        if (!task.limiter) throw new Error(`task ${p.taskId} has no limiter (not wfox)`);
        task.limiter.configure(config as never);
        return;
      }
      default:
        throw new Error(`no applier for ${p.kind}`);
    }
  };
}
