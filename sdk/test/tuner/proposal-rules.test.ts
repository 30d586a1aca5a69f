import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../../src/chaos/rng.js';
import { summarize, type AttemptSample } from '../../src/tuner/evidence.js';
import { genomeOf, type Gene } from '../../src/tuner/genome.js';
import { mutate } from '../../src/tuner/mutation.js';
import {
  breakerRule,
  hedgeRule,
  retryRule,
  ruleCandidates,
  timeoutRule,
} from '../../src/tuner/proposal-rules.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';

/** Attempt samples as a dependency on the fake clock produces them: latency measured by the clock. */
function recordOn(latencies: number[], failEvery = 0): AttemptSample[] {
  const clock = createFakeClock({ now: 0 });
  const out: AttemptSample[] = [];
  latencies.forEach((ms, i) => {
    const start = clock.now();
    clock.tick(ms);
    const failed = failEvery > 0 && i % failEvery === 0;
    out.push({ latencyMs: clock.now() - start, ok: !failed, transient: failed });
  });
  return out;
}

const gene = (name: Gene['name'], value: number, min: number, max: number): Gene => ({
  name,
  value,
  min,
  max,
  integer: name !== 'breaker.failureRate',
});

describe('tuner proposal rules', () => {
  it('timeout = p99 of successful attempts × 1.5, within bounds', () => {
    // 1..100 ms: p99 = 99 ms → 149 ms.
    const ev = summarize(recordOn(Array.from({ length: 100 }, (_, i) => i + 1)));
    const c = timeoutRule(gene('timeout.ms', 2000, 10, 60_000), ev);
    assert.equal(c?.value, Math.ceil(99 * 1.5));
    assert.equal(timeoutRule(gene('timeout.ms', 2000, 500, 60_000), ev)?.value, 500);
    // Too few samples: nothing.
    assert.equal(
      timeoutRule(gene('timeout.ms', 2000, 10, 60_000), summarize(recordOn([5]))),
      undefined,
    );
  });

  it('a timeout that cuts most attempts grows (the quantile lies beyond it), within bounds', () => {
    // Timeout 10 ms in front of a ~20 ms dependency: most attempts are cut (latency unknown).
    const cut = Array.from({ length: 100 }, (_, i) =>
      i % 4 === 0
        ? { latencyMs: 8, ok: true, transient: false }
        : { latencyMs: Infinity, ok: false, transient: true },
    );
    const c = timeoutRule(gene('timeout.ms', 10, 10, 60_000), summarize(cut));
    assert.equal(c?.rule, 'timeout-censored');
    assert.equal(c?.value, 30);
    assert.equal(timeoutRule(gene('timeout.ms', 10, 10, 20), summarize(cut))?.value, 20);
  });

  it('retry attempts from the transient-failure rate, dropping to the minimum past the budget', () => {
    // Every 20th attempt fails (5%): 0.05^n ≤ 0.001 → n = 3.
    const five = summarize(recordOn(Array(200).fill(10), 20));
    assert.equal(retryRule(gene('retry.attempts', 5, 1, 5), five)?.value, 3);
    // Every 4th fails (25% > budget ratio 10%): retries would be refused and add load → min.
    const many = summarize(recordOn(Array(200).fill(10), 4));
    assert.equal(retryRule(gene('retry.attempts', 3, 1, 5), many)?.value, 1);
    // No failures: two attempts (a retry is free when it is rare).
    const none = summarize(recordOn(Array(200).fill(10)));
    assert.equal(retryRule(gene('retry.attempts', 5, 1, 5), none)?.value, 2);
  });

  it('hedge delay = p95 of successful attempts (≤5% extra load), kept below the timeout', () => {
    const ev = summarize(recordOn(Array.from({ length: 100 }, (_, i) => i + 1)));
    assert.equal(hedgeRule(gene('hedge.after', 10, 1, 10_000), ev, undefined)?.value, 95);
    assert.equal(hedgeRule(gene('hedge.after', 10, 1, 10_000), ev, 80)?.value, 79);
  });

  it('breaker thresholds from the baseline failure rate', () => {
    const ev = summarize(recordOn(Array(200).fill(10), 10)); // 10% failing
    // 0.1^k ≤ 1e-4 → k = 4.
    assert.equal(breakerRule(gene('breaker.consecutive', 5, 2, 50), ev)?.value, 4);
    const rate = breakerRule(gene('breaker.failureRate', 0.5, 0.05, 0.9), ev)!.value;
    assert.ok(Math.abs(rate - 0.3) < 1e-9, String(rate));
  });

  it('ruleCandidates skips pinned policies and unchanged values', () => {
    const genome = genomeOf(
      't#f',
      { timeout: { ms: 2000 }, retry: { attempts: 3 }, hedge: { after: 'p95' } },
      { retry: false },
    );
    assert.deepEqual(Object.keys(genome.genes), ['timeout.ms']);
    assert.deepEqual(genome.pinned, ['retry']);
    const ev = summarize(
      recordOn(
        Array.from({ length: 100 }, (_, i) => i + 1),
        20,
      ),
    );
    const cands = ruleCandidates(genome, ev);
    assert.deepEqual(
      cands.map((c) => c.gene),
      ['timeout.ms'],
    );
  });

  it("a user's value outside the default bounds widens them", () => {
    const g = genomeOf('t#f', { retry: { attempts: 8 } }, true);
    assert.equal(g.genes['retry.attempts']?.max, 8);
  });
});

describe('tuner mutation', () => {
  it('is seeded (replayable), changes one gene, and stays within bounds (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 10, max: 60_000 }),
        fc.integer({ min: 1, max: 5 }),
        (seed, timeout, attempts) => {
          const genome = genomeOf(
            't#f',
            { timeout: { ms: timeout }, retry: { attempts }, breaker: { failureRate: 0.5 } },
            { timeout: { min: 10, max: 60_000 } },
          );
          const a = mutate(genome, new SeededRandom(seed));
          const b = mutate(genome, new SeededRandom(seed));
          assert.deepEqual(a, b);
          if (!a) return;
          const g = genome.genes[a.gene]!;
          assert.ok(a.value >= g.min && a.value <= g.max, JSON.stringify(a));
          assert.notEqual(a.value, a.from);
          assert.equal(a.from, g.value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never mutates a pinned policy', () => {
    const genome = genomeOf(
      't#f',
      { timeout: { ms: 100 }, retry: { attempts: 3 } },
      { retry: false },
    );
    const rng = new SeededRandom(1);
    for (let i = 0; i < 200; i++) assert.equal(mutate(genome, rng)?.gene, 'timeout.ms');
  });
});
