import assert from 'node:assert/strict';
import { rankCandidates, type ScreenedCandidate } from '../../src/tuner/candidates.js';

const cand = (source: string, goodput: number, p99: number): ScreenedCandidate => ({
  change: { gene: 'timeout.ms', from: 10, to: 30, source },
  options: {},
  verdict: {
    pass: true,
    reason: 'ok',
    current: { goodput: 10, p99: 100, attemptsPerCall: 1, ok: 1, failed: 0 },
    candidate: { goodput, p99, attemptsPerCall: 1, ok: 1, failed: 0 },
  },
});

describe('tuner candidate ranking', () => {
  it('more goodput first; within 1% a judged candidate beats a blind one; then the lower p99', () => {
    const blindBetter = cand('rule:timeout-censored', 36, 160);
    const mutation = cand('mutation', 22, 60);
    assert.deepEqual([mutation, blindBetter].sort(rankCandidates), [blindBetter, mutation]);
    const blindTie = cand('rule:timeout-censored', 47.5, 6000);
    const tailCut = cand('rule:timeout-tail-cut', 47.2, 105);
    assert.deepEqual([blindTie, tailCut].sort(rankCandidates), [tailCut, blindTie]);
    const a = cand('rule:timeout-quantile', 50, 200);
    const b = cand('mutation', 50.1, 90);
    assert.deepEqual([a, b].sort(rankCandidates), [b, a]);
  });
});
