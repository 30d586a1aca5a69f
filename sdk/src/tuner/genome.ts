/**
 * A task's genome: the policy parameters the tuner may change (genes), each with its bounds, and
 * the parameters the user pinned. Built from the task's live policy configs and its `tune`
 * option; a gene exists only for a policy the task has and the user did not pin.
 */
import type { PolicyKind } from '../policies/options.js';
import type { TuneOption, TuneRange } from '../policies/tune-options.js';

/** The parameters the tuner knows, as `policy.key` paths. */
export type GeneName =
  'timeout.ms' | 'retry.attempts' | 'hedge.after' | 'breaker.consecutive' | 'breaker.failureRate';

export const GENE_NAMES: readonly GeneName[] = [
  'timeout.ms',
  'retry.attempts',
  'hedge.after',
  'breaker.consecutive',
  'breaker.failureRate',
];

export interface Gene {
  readonly name: GeneName;
  readonly value: number;
  readonly min: number;
  readonly max: number;
  /** Integer genes move in whole steps. */
  readonly integer: boolean;
}

export interface Genome {
  readonly taskId: string;
  readonly genes: Readonly<Partial<Record<GeneName, Gene>>>;
  /** Policies the user pinned with `tune: { <policy>: false }`: never proposed. */
  readonly pinned: readonly PolicyKind[];
}

/** Default bounds when the user gives none: wide, but no value that is plainly unsafe. */
export const DEFAULT_BOUNDS: Record<GeneName, { min: number; max: number }> = {
  'timeout.ms': { min: 10, max: 60_000 },
  'retry.attempts': { min: 1, max: 5 },
  'hedge.after': { min: 1, max: 10_000 },
  'breaker.consecutive': { min: 2, max: 50 },
  'breaker.failureRate': { min: 0.05, max: 0.9 },
};

/** A change of one gene, as the guardian's `policy-change` payload carries it. */
export interface GenePatch {
  policy: 'timeout' | 'retry' | 'hedge' | 'breaker';
  config: Record<string, number>;
}

export function policyOf(gene: GeneName): GenePatch['policy'] {
  return gene.slice(0, gene.indexOf('.')) as GenePatch['policy'];
}

export function keyOf(gene: GeneName): string {
  return gene.slice(gene.indexOf('.') + 1);
}

/** The `policy-change` payload that sets `gene` to `value`. */
export function patchOf(gene: GeneName, value: number): GenePatch {
  return { policy: policyOf(gene), config: { [keyOf(gene)]: value } };
}

/** The live configs a genome is read from (`chain.get(kind)?.config` of each kind). */
export interface PolicyConfigs {
  timeout?: { ms: number } | undefined;
  retry?: { attempts: number } | undefined;
  hedge?: { after: number | string } | undefined;
  breaker?: { consecutive?: number | undefined; failureRate?: number | undefined } | undefined;
}

/**
 * The genome of a task from its live policy configs and its `tune` option. Values outside the
 * bounds widen the bounds to include them (the user's own value is never "out of bounds"), so a
 * gene's value is always within [min, max].
 */
export function genomeOf(taskId: string, configs: PolicyConfigs, tune: TuneOption): Genome {
  const genes: Partial<Record<GeneName, Gene>> = {};
  const pinned: PolicyKind[] = [];
  const rangeOf = (policy: 'timeout' | 'retry' | 'hedge' | 'breaker'): TuneRange => {
    if (tune === false) return false;
    if (tune === true) return true;
    const r = tune[policy];
    return r === undefined ? true : r;
  };
  const add = (name: GeneName, value: number, integer: boolean) => {
    const policy = policyOf(name);
    const r = rangeOf(policy);
    if (r === false) {
      if (!pinned.includes(policy)) pinned.push(policy);
      return;
    }
    const d = DEFAULT_BOUNDS[name];
    const min = Math.min(value, r === true ? d.min : (r.min ?? d.min));
    const max = Math.max(value, r === true ? d.max : (r.max ?? d.max));
    genes[name] = { name, value, min, max, integer };
  };
  if (configs.timeout) add('timeout.ms', configs.timeout.ms, true);
  if (configs.retry) add('retry.attempts', configs.retry.attempts, true);
  // A percentile hedge follows the live latency already; only a fixed delay is a gene.
  if (configs.hedge && typeof configs.hedge.after === 'number') {
    add('hedge.after', configs.hedge.after, true);
  }
  const b = configs.breaker;
  if (b?.consecutive !== undefined) add('breaker.consecutive', b.consecutive, true);
  else if (b?.failureRate !== undefined) add('breaker.failureRate', b.failureRate, false);
  for (const p of ['timeout', 'retry', 'hedge', 'breaker'] as const) {
    if (rangeOf(p) === false && !pinned.includes(p)) pinned.push(p);
  }
  return { taskId, genes, pinned };
}

/** `value` clamped to the gene's bounds (and rounded for integer genes). */
export function clampGene(gene: Gene, value: number): number {
  const v = gene.integer ? Math.round(value) : value;
  return Math.min(gene.max, Math.max(gene.min, v));
}

/** The genome with one gene set (clamped); the genome is unchanged when it has no such gene. */
export function withGene(genome: Genome, name: GeneName, value: number): Genome {
  const g = genome.genes[name];
  if (!g) return genome;
  return { ...genome, genes: { ...genome.genes, [name]: { ...g, value: clampGene(g, value) } } };
}

/** Plain values of the genes, for lineage records and the CLI. */
export function valuesOf(genome: Genome): Partial<Record<GeneName, number>> {
  const out: Partial<Record<GeneName, number>> = {};
  for (const g of Object.values(genome.genes)) if (g) out[g.name] = g.value;
  return out;
}
