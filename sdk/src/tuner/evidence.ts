/**
 * What the tuner learns from: samples of attempts (one run of the dependency) and calls (what
 * the caller saw), and the summaries the proposal rules read. Chaos-injected samples never get
 * here: the recorder drops them (see canary.ts), so they cannot count as ordinary evidence.
 */

/** One attempt below the policies. `latencyMs` is Infinity for an attempt cut by a timeout. */
export interface AttemptSample {
  latencyMs: number;
  ok: boolean;
  /** A failure that retrying can fix (not a validation error, not a refusal). */
  transient: boolean;
}

/** One call as the caller saw it. */
export interface CallSample {
  latencyMs: number;
  ok: boolean;
  /** Attempts the call made (retries and hedges included). */
  attempts: number;
}

export interface EvidenceSummary {
  attempts: number;
  calls: number;
  /** Latencies of successful attempts, sorted ascending. */
  okLatencies: readonly number[];
  /** Failed attempts / attempts. */
  failureRate: number;
  /** Transient failed attempts / attempts. */
  transientRate: number;
  /** Attempts cut before they answered (latency unknown, Infinity) / attempts. */
  censoredRate: number;
}

export function summarize(attempts: readonly AttemptSample[], calls = 0): EvidenceSummary {
  const ok: number[] = [];
  let failed = 0;
  let transient = 0;
  let censored = 0;
  for (const a of attempts) {
    if (a.latencyMs === Infinity) censored++;
    if (a.ok) ok.push(a.latencyMs);
    else {
      failed++;
      if (a.transient) transient++;
    }
  }
  ok.sort((x, y) => x - y);
  const n = attempts.length;
  return {
    attempts: n,
    calls,
    okLatencies: ok,
    failureRate: n === 0 ? 0 : failed / n,
    transientRate: n === 0 ? 0 : transient / n,
    censoredRate: n === 0 ? 0 : censored / n,
  };
}

/** The q-quantile (0..1) of sorted values (nearest rank); undefined when empty. */
export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
