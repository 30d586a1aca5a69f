/**
 * Exploration: a bounded random change of one gene of the current genome (the genetic step).
 * Seeded, so a tuning run can be replayed: the same seed and genome give the same mutations.
 * Multiplicative (log-normal) steps suit parameters that span orders of magnitude (timeouts,
 * delays); integer genes move by at least one.
 */
import type { SeededRandom } from '../chaos/rng.js';
import { clampGene, type GeneName, type Genome } from './genome.js';

export interface Mutation {
  gene: GeneName;
  from: number;
  value: number;
}

/** Standard normal from two uniforms (Box–Muller). */
function gaussian(rng: SeededRandom): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Mutates one gene chosen uniformly: value × e^(σ·N(0,1)), clamped to its bounds and different
 * from the current value. Undefined when the genome has no gene that can move.
 */
export function mutate(genome: Genome, rng: SeededRandom, sigma = 0.35): Mutation | undefined {
  const movable = Object.values(genome.genes).filter((g) => g !== undefined && g.min < g.max);
  if (movable.length === 0) return undefined;
  const gene = movable[Math.floor(rng.next() * movable.length)]!;
  for (let tries = 0; tries < 8; tries++) {
    let value = clampGene(gene, gene.value * Math.exp(sigma * gaussian(rng)));
    if (gene.integer && value === gene.value) {
      value = clampGene(gene, gene.value + (rng.next() < 0.5 ? -1 : 1));
    }
    if (!gene.integer) value = Math.round(value * 1000) / 1000;
    if (value !== gene.value) return { gene: gene.name, from: gene.value, value };
  }
  return undefined;
}
