import type { WireChaosReport } from '../protocol/wire.js';
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

/** A finite number for JSON (which has no NaN or Infinity): `fallback` otherwise. */
function finite(x: number, fallback = 0): number {
  return Number.isFinite(x) ? x : fallback;
}

function finiteInterval(i: Interval): Interval {
  const value = finite(i.value);
  return { value, low: finite(i.low, value), high: finite(i.high, value) };
}

/** An interval with a non-finite value means nothing: null (these fields are nullable). */
function maybeInterval(i: Interval | null): Interval | null {
  return i === null || !Number.isFinite(i.value) ? null : finiteInterval(i);
}

function wirePhase(p: PhaseStats): PhaseStats {
  return {
    calls: p.calls,
    errors: p.errors,
    injected: p.injected,
    errorRate: finiteInterval(p.errorRate),
    fallbackRate: maybeInterval(p.fallbackRate),
    p50: maybeInterval(p.p50),
    p99: maybeInterval(p.p99),
  };
}

/** Most tasks a wire report carries (the schema's bound). */
const MAX_WIRE_TASKS = 1000;

/**
 * The report as the `chaos-report` wire event carries it (`WireChaosReportSchema`): every number
 * finite, strings and the task list within the schema's bounds.
 */
export function toWireChaosReport(r: ChaosReport): WireChaosReport {
  const tasks: WireChaosReport['tasks'] = {};
  for (const [id, phases] of Object.entries(r.tasks).slice(0, MAX_WIRE_TASKS)) {
    if (id.length > 512) continue;
    tasks[id] = {
      before: wirePhase(phases.before),
      during: wirePhase(phases.during),
      after: wirePhase(phases.after),
    };
  }
  const latency = r.abortLatencyMs === null ? null : finite(r.abortLatencyMs, NaN);
  return {
    experimentId: r.experimentId,
    name: r.name.slice(0, 256),
    seed: r.seed,
    startedAt: finite(r.startedAt),
    endedAt: finite(r.endedAt),
    outcome: r.outcome,
    abortReason: r.abortReason === null ? null : r.abortReason.slice(0, 1024),
    abortLatencyMs: latency === null || Number.isNaN(latency) ? null : Math.max(0, latency),
    affected: r.affected,
    tasks,
  };
}
