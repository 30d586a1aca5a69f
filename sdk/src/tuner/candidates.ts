/**
 * Where an experiment's candidates come from and how they are screened: the rules and one
 * seeded mutation propose one-gene changes; each is replayed in the sandbox against the
 * current parameters; the survivors are ranked by what the sandbox saw.
 */
import type { Clock } from '../clock/clock.js';
import type { SeededRandom } from '../chaos/rng.js';
import { buildPolicies, type PolicyChain } from '../policies/index.js';
import { summarize, type AttemptSample, type EvidenceSummary } from './evidence.js';
import { patchOf, type Genome } from './genome.js';
import type { GenerationChange } from './lineage-store.js';
import { mutate } from './mutation.js';
import { DEFAULT_RULE_SETTINGS, ruleCandidates } from './proposal-rules.js';
import { CENSORED, type RecordedInterval } from './recorded-interval.js';
import { screen, type ScreenVerdict } from './sandbox.js';

/** Failures that retrying cannot fix: not evidence of a transient fault. */
const NOT_TRANSIENT = new Set(['FOX_VALIDATION', 'FOX_CONFIG', 'FOX_ABORTED', 'FOX_SHUTDOWN']);

/** The attempts of an interval as the rules read them (a cut attempt: infinitely slow). */
export function evidenceOf(interval: RecordedInterval): EvidenceSummary {
  const attempts: AttemptSample[] = interval.calls.flatMap((c) =>
    c.attempts.map((a) => ({
      latencyMs: a.ms === CENSORED ? Infinity : a.ms,
      ok: a.ok,
      transient: !a.ok && !NOT_TRANSIENT.has(a.code ?? ''),
    })),
  );
  return summarize(attempts, interval.calls.length);
}

/** The task's live policy configs as decorator options (normalized configs are valid input). */
export function optionsOf(chain: PolicyChain | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of chain?.policies ?? []) out[p.kind] = p.config;
  return out;
}

/** `current` with one gene changed. */
export function candidateOptions(
  current: Record<string, unknown>,
  change: GenerationChange,
): Record<string, unknown> {
  const patch = patchOf(change.gene, change.to);
  return {
    ...current,
    [patch.policy]: { ...(current[patch.policy] as object), ...patch.config },
  };
}

/** One-gene changes from the rules (weighed against the task's own retry budget) and a mutation. */
export function candidateChanges(
  genome: Genome,
  ev: EvidenceSummary,
  chain: PolicyChain | undefined,
  rng: SeededRandom,
): GenerationChange[] {
  const retry = chain?.get('retry')?.config;
  const rules = {
    ...DEFAULT_RULE_SETTINGS,
    retryBudgetRatio: retry?.budget ? retry.budget.ratio : Infinity,
  };
  const out: GenerationChange[] = ruleCandidates(genome, ev, rules, retry?.attempts).map((c) => ({
    gene: c.gene,
    from: genome.genes[c.gene]!.value,
    to: c.value,
    source: `rule:${c.rule}`,
  }));
  const m = mutate(genome, rng);
  if (m && !out.some((c) => c.gene === m.gene && c.to === m.value)) {
    out.push({ gene: m.gene, from: m.from, to: m.value, source: 'mutation' });
  }
  return out;
}

export interface ScreenedCandidate {
  change: GenerationChange;
  options: Record<string, unknown>;
  verdict: ScreenVerdict;
}

export interface ScreeningResult {
  /** Passed, best first (see {@link rankCandidates}). */
  passed: ScreenedCandidate[];
  /** Rejected, with why (the sandbox's verdict, or the options error). */
  rejected: { change: GenerationChange; evidence: unknown }[];
}

/** Screens each change (at most `limit`) in the sandbox against the current parameters. */
export async function screenCandidates(
  interval: RecordedInterval,
  current: Record<string, unknown>,
  changes: readonly GenerationChange[],
  opts: { taskId: string; clock: Clock; seed: number; objectiveMs?: number; limit?: number },
): Promise<ScreeningResult> {
  const out: ScreeningResult = { passed: [], rejected: [] };
  for (const change of changes.slice(0, opts.limit ?? 6)) {
    const options = candidateOptions(current, change);
    let verdict: ScreenVerdict;
    try {
      // The same validation as a decorator: an impossible combination never reaches a call.
      buildPolicies(options, { taskId: opts.taskId, clock: opts.clock })?.dispose();
      verdict = await screen(interval, current, options, {
        seed: opts.seed,
        ...(opts.objectiveMs ? { objectiveMs: opts.objectiveMs } : {}),
      });
    } catch (err) {
      out.rejected.push({ change, evidence: { invalid: (err as Error).message } });
      continue;
    }
    // The recording cannot say what a longer timeout would have seen where it cut attempts
    // (the replay keeps them unanswered), so growing a censoring timeout is left to the canary.
    if (!verdict.pass && change.source === 'rule:timeout-censored') {
      verdict = { ...verdict, pass: true, reason: 'beyond the recording: the canary decides' };
    }
    if (verdict.pass) out.passed.push({ change, options, verdict });
    else out.rejected.push({ change, evidence: { screening: verdict } });
  }
  out.passed.sort(rankCandidates);
  return out;
}

/**
 * Best first: more goodput in the sandbox, when the difference is over 1%; then candidates the
 * sandbox could judge before one it could not (a censoring timeout grown blind, whose replay is
 * pessimistic); then the lower p99.
 */
export function rankCandidates(a: ScreenedCandidate, b: ScreenedCandidate): number {
  const ga = a.verdict.candidate.goodput;
  const gb = b.verdict.candidate.goodput;
  if (Math.abs(ga - gb) > 0.01 * Math.max(ga, gb)) return gb - ga;
  const blind = (c: ScreenedCandidate) => (c.change.source === 'rule:timeout-censored' ? 1 : 0);
  if (blind(a) !== blind(b)) return blind(a) - blind(b);
  return a.verdict.candidate.p99 - b.verdict.candidate.p99;
}
