import type { Confidence, RuleSeverity, Severity } from './types.js';

/** Confidences from most to least sure. */
export const CONFIDENCES = [
  'certain',
  'likely',
  'possible',
] as const satisfies readonly Confidence[];

const rank = (c: Confidence): number => CONFIDENCES.indexOf(c);

/** The less sure of two confidences. */
export function leastSure(a: Confidence, b: Confidence): Confidence {
  return rank(a) >= rank(b) ? a : b;
}

/** Is `c` at least as sure as the bar? */
export function meetsBar(c: Confidence, bar: Confidence): boolean {
  return rank(c) <= rank(bar);
}

/**
 * A finding's severity: the rule's configured severity when its confidence meets the bar, else a
 * hint. Errors drop to hints too, not to warnings: an error fails `fox analyze` in CI by default,
 * and a guess should never fail a build — the bar, not the rule setting, says what is trusted.
 */
export function findingSeverity(
  configured: RuleSeverity,
  confidence: Confidence,
  bar: Confidence,
): Severity {
  return meetsBar(confidence, bar) ? configured : 'hint';
}

/**
 * Confidence of a heuristic score that crossed `threshold`: `likely` with at least twice the
 * evidence the threshold asks for (several independent signals, or one strong one repeated),
 * `possible` nearer the line, where one misread loop or sort decides the outcome.
 */
export function confidenceByMargin(score: number, threshold: number): Confidence {
  return score >= 2 * threshold ? 'likely' : 'possible';
}
