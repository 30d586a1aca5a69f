/**
 * Candidates from evidence: one pure rule per parameter, each reading a summary of recent
 * non-chaos samples and returning a value within the gene's bounds (or nothing when the evidence
 * is too thin or the rule has nothing to say). The tuner still screens and tests every candidate:
 * a rule only says where to look.
 */
import { quantile, type EvidenceSummary } from './evidence.js';
import { clampGene, type Gene, type GeneName, type Genome } from './genome.js';

export interface RuleSettings {
  /** Samples a rule needs before it proposes anything. */
  minSamples: number;
  /** Timeout: quantile of successful-attempt latency, times `timeoutMargin`. */
  timeoutQuantile: number;
  timeoutMargin: number;
  /** Retry: the share of calls allowed to fail after every attempt from transient faults. */
  retryResidual: number;
  /** Retry: the budget's ratio (retries per call the budget lets through). */
  retryBudgetRatio: number;
  /** Hedge: the extra load hedges may add (share of calls hedged). */
  hedgeExtraLoad: number;
  /** Breaker: chance a healthy baseline trips a consecutive breaker within one run of failures. */
  breakerFalseTrip: number;
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  minSamples: 50,
  timeoutQuantile: 0.99,
  timeoutMargin: 1.5,
  retryResidual: 0.001,
  retryBudgetRatio: 0.1,
  hedgeExtraLoad: 0.05,
  breakerFalseTrip: 1e-4,
};

export interface RuleCandidate {
  gene: GeneName;
  value: number;
  /** Which rule and what it read, for the lineage and the proposal's evidence. */
  rule: string;
  basis: Record<string, number>;
}

/** How far the timeout grows when it cuts so many attempts that the quantile is beyond it. */
export const CENSORED_GROWTH = 3;

/**
 * Timeout = q-quantile of successful attempts × margin. When more than 1 − q of the attempts
 * were cut before they answered, the quantile lies beyond the current timeout and the answered
 * attempts say nothing about it (only the fast ones got through): then the rule grows the
 * timeout by {@link CENSORED_GROWTH} instead, and later experiments refine it.
 */
export function timeoutRule(
  gene: Gene,
  ev: EvidenceSummary,
  s: RuleSettings = DEFAULT_RULE_SETTINGS,
): RuleCandidate | undefined {
  if (ev.attempts >= s.minSamples && ev.censoredRate > 1 - s.timeoutQuantile) {
    return {
      gene: gene.name,
      value: clampGene(gene, Math.ceil(gene.value * CENSORED_GROWTH)),
      rule: 'timeout-censored',
      basis: {
        censoredRate: ev.censoredRate,
        quantile: s.timeoutQuantile,
        growth: CENSORED_GROWTH,
      },
    };
  }
  if (ev.okLatencies.length < s.minSamples) return undefined;
  const q = quantile(ev.okLatencies, s.timeoutQuantile)!;
  const value = clampGene(gene, Math.ceil(q * s.timeoutMargin));
  return {
    gene: gene.name,
    value,
    rule: 'timeout-quantile',
    basis: { quantile: s.timeoutQuantile, latencyMs: q, margin: s.timeoutMargin },
  };
}

/**
 * Retry attempts from the transient-failure rate p: the fewest attempts n with pⁿ ≤ residual.
 * When p exceeds the budget's ratio the budget would refuse most retries anyway and extra
 * attempts only add load to a failing dependency, so the rule drops to the lower bound.
 */
export function retryRule(
  gene: Gene,
  ev: EvidenceSummary,
  s: RuleSettings = DEFAULT_RULE_SETTINGS,
): RuleCandidate | undefined {
  if (ev.attempts < s.minSamples) return undefined;
  const p = ev.transientRate;
  let n: number;
  if (p > s.retryBudgetRatio) n = gene.min;
  else if (p <= 0) n = Math.max(gene.min, 2);
  else n = Math.ceil(Math.log(s.retryResidual) / Math.log(p));
  return {
    gene: gene.name,
    value: clampGene(gene, n),
    rule: 'retry-transient-rate',
    basis: { transientRate: p, residual: s.retryResidual, budgetRatio: s.retryBudgetRatio },
  };
}

/**
 * Hedge delay = the latency quantile 1 − extraLoad of successful attempts: only that share of
 * calls is still running when the hedge fires, so hedges add at most that much load. Kept below
 * the timeout (a hedge at or past it could never fire).
 */
export function hedgeRule(
  gene: Gene,
  ev: EvidenceSummary,
  timeoutMs: number | undefined,
  s: RuleSettings = DEFAULT_RULE_SETTINGS,
): RuleCandidate | undefined {
  if (ev.okLatencies.length < s.minSamples) return undefined;
  const q = 1 - s.hedgeExtraLoad;
  const lat = quantile(ev.okLatencies, q)!;
  let value = clampGene(gene, Math.ceil(lat));
  if (timeoutMs !== undefined && value >= timeoutMs) value = clampGene(gene, timeoutMs - 1);
  if (timeoutMs !== undefined && value >= timeoutMs) return undefined;
  return {
    gene: gene.name,
    value,
    rule: 'hedge-load-quantile',
    basis: { quantile: q, latencyMs: lat, extraLoad: s.hedgeExtraLoad },
  };
}

/**
 * Breaker threshold from the baseline failure rate f. Consecutive: the fewest failures in a row
 * that a healthy baseline produces with probability ≤ falseTrip (fᵏ ≤ falseTrip). Rate: well
 * above the baseline (max(3f, f + 0.2)), so ordinary noise does not open it.
 */
export function breakerRule(
  gene: Gene,
  ev: EvidenceSummary,
  s: RuleSettings = DEFAULT_RULE_SETTINGS,
): RuleCandidate | undefined {
  if (ev.attempts < s.minSamples) return undefined;
  const f = ev.failureRate;
  let value: number;
  if (gene.name === 'breaker.consecutive') {
    value = f <= 0 ? gene.min : Math.ceil(Math.log(s.breakerFalseTrip) / Math.log(f));
  } else {
    value = Math.max(3 * f, f + 0.2);
  }
  return {
    gene: gene.name,
    value: clampGene(gene, value),
    rule: 'breaker-baseline',
    basis: { failureRate: f, falseTrip: s.breakerFalseTrip },
  };
}

/**
 * Quantiles of the tail-cutting timeout candidates (offered when the task retries): a tail of
 * hung attempts longer than a retry is cut and retried instead of waited for.
 */
export const TAIL_CUT_QUANTILES = [0.95, 0.9, 0.75] as const;

/** Every rule's candidate for the genome that differs from the current value. */
export function ruleCandidates(
  genome: Genome,
  ev: EvidenceSummary,
  s: RuleSettings = DEFAULT_RULE_SETTINGS,
  /** The task's retry attempts, when it retries (pinned or not). */
  retryAttempts?: number,
): RuleCandidate[] {
  const out: (RuleCandidate | undefined)[] = [];
  const g = genome.genes;
  if (g['timeout.ms']) {
    out.push(timeoutRule(g['timeout.ms'], ev, s));
    // With retries, a timeout that cuts a slow tail and retries it can beat waiting for it:
    // offer the tighter quantile too; the sandbox and the canary decide between them.
    for (const q of (retryAttempts ?? 1) > 1 ? TAIL_CUT_QUANTILES : []) {
      if (q >= s.timeoutQuantile) continue;
      const tight = timeoutRule(g['timeout.ms'], ev, { ...s, timeoutQuantile: q });
      if (tight) tight.rule = 'timeout-tail-cut';
      out.push(tight);
    }
  }
  if (g['retry.attempts']) out.push(retryRule(g['retry.attempts'], ev, s));
  if (g['hedge.after']) {
    const timeout = g['timeout.ms']?.value;
    out.push(hedgeRule(g['hedge.after'], ev, timeout, s));
  }
  const b = g['breaker.consecutive'] ?? g['breaker.failureRate'];
  if (b) out.push(breakerRule(b, ev, s));
  const seen = new Set<string>();
  return out.filter((c): c is RuleCandidate => {
    if (c === undefined || c.value === genome.genes[c.gene]?.value) return false;
    const key = `${c.gene}=${c.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
