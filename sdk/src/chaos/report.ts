import { quantileWithCi, wilson } from './confidence.js';
import type { ChaosSample, Phase } from './injector.js';

export interface Interval {
  value: number;
  low: number;
  high: number;
}

export interface PhaseStats {
  calls: number;
  errors: number;
  /** Attempts that ran with an injected fault (tagged samples). */
  injected: number;
  errorRate: Interval;
  /** Fallbacks fired / calls; null when the task has no fallback policy. */
  fallbackRate: Interval | null;
  p50: Interval | null;
  p99: Interval | null;
}

/** Before/during/after per task, with 95% confidence intervals. */
export interface ChaosReport {
  experimentId: string;
  name: string;
  seed: number;
  startedAt: number;
  endedAt: number;
  outcome: 'completed' | 'aborted' | 'killed';
  abortReason: string | null;
  /** Milliseconds from the breach being observed to injection stopping (aborts only). */
  abortLatencyMs: number | null;
  affected: number;
  tasks: Record<string, Record<Phase, PhaseStats>>;
}

/** Builds the per-task, per-phase statistics from the tagged samples. */
export function summarise(
  samples: readonly ChaosSample[],
  fallbacks: ReadonlyMap<string, Record<Phase, number>>,
  hasFallback: (taskId: string) => boolean,
): ChaosReport['tasks'] {
  const groups = new Map<string, Map<Phase, ChaosSample[]>>();
  for (const s of samples) {
    let byPhase = groups.get(s.taskId);
    if (!byPhase) groups.set(s.taskId, (byPhase = new Map()));
    let list = byPhase.get(s.phase);
    if (!list) byPhase.set(s.phase, (list = []));
    list.push(s);
  }
  const out: ChaosReport['tasks'] = {};
  for (const [taskId, byPhase] of groups) {
    const phases = {} as Record<Phase, PhaseStats>;
    for (const phase of ['before', 'during', 'after'] as const) {
      const list = byPhase.get(phase) ?? [];
      const errors = list.filter((s) => !s.ok).length;
      const sorted = list.map((s) => s.ms).sort((a, b) => a - b);
      const e = wilson(errors, list.length);
      const fb = fallbacks.get(taskId)?.[phase] ?? 0;
      const f = wilson(Math.min(fb, list.length), list.length);
      phases[phase] = {
        calls: list.length,
        errors,
        injected: list.filter((s) => s.injected).length,
        errorRate: { value: e.rate, low: e.low, high: e.high },
        fallbackRate: hasFallback(taskId) ? { value: f.rate, low: f.low, high: f.high } : null,
        p50: quantileWithCi(sorted, 0.5),
        p99: quantileWithCi(sorted, 0.99),
      };
    }
    out[taskId] = phases;
  }
  return out;
}
