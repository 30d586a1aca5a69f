/**
 * What a finished canary means: the test's decision, checked against the guards (a win must not
 * cost tail latency or load), and the evidence a proposal carries.
 */
import type { ArmSamples, CanaryHook } from './call-hooks.js';
import { quantile } from './evidence.js';
import type { TestState } from './sequential-test.js';

export interface ArmBrief {
  calls: number;
  ok: number;
  p99: number;
  attemptsPerCall: number;
}

export function armBrief(a: ArmSamples): ArmBrief {
  const sorted = [...a.latencies].sort((x, y) => x - y);
  return {
    calls: a.calls,
    ok: a.ok,
    p99: quantile(sorted, 0.99) ?? 0,
    attemptsPerCall: a.attemptsPerCall,
  };
}

/** Guard limits relative to the control. */
export const P99_GUARD = 1.2;
export const ATTEMPTS_GUARD = 1.1;

export interface CanaryVerdict {
  decision: 'adopt' | 'harm' | 'no-effect';
  evidence: Record<string, unknown>;
}

export function canaryVerdict(
  hook: CanaryHook,
  test: TestState,
  opts: { alpha: number; capMs: number; seconds: number; screening: unknown },
): CanaryVerdict {
  const control = armBrief(hook.control);
  const candidate = armBrief(hook.candidate);
  const good = (a: ArmSamples) => a.latencies.filter((ms) => ms <= opts.capMs).length;
  // Calls per second of the whole task during the canary: each arm's goodput at full traffic.
  const rate = (hook.control.routed + hook.candidate.routed) / Math.max(1e-3, opts.seconds);
  const last = test.last;
  const evidence = {
    screening: opts.screening,
    test: {
      statistic: 'welch',
      scoreCapMs: opts.capMs,
      alpha: opts.alpha,
      looks: test.looks,
      z: last?.z,
      adoptZ: last?.adoptZ,
      effect: last?.effect,
      effectInterval: [last?.effectLow, last?.effectHigh],
    },
    samples: { control: control.calls, candidate: candidate.calls },
    chaosExcluded: hook.chaosExcluded,
    fitness: {
      before: (good(hook.control) / Math.max(1, hook.control.calls)) * rate,
      after: (good(hook.candidate) / Math.max(1, hook.candidate.calls)) * rate,
    },
    p99: { before: control.p99, after: candidate.p99 },
    attemptsPerCall: { before: control.attemptsPerCall, after: candidate.attemptsPerCall },
  };
  let decision = test.decision === 'continue' ? 'no-effect' : test.decision;
  if (
    decision === 'adopt' &&
    ((control.p99 > 0 && candidate.p99 > control.p99 * P99_GUARD) ||
      candidate.attemptsPerCall > control.attemptsPerCall * ATTEMPTS_GUARD + 0.05)
  ) {
    decision = 'harm';
  }
  return { decision, evidence };
}
