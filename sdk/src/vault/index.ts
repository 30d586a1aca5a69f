/**
 * `@fox/sdk/vault`, the pattern vault: what the analyser recommends from and what
 * `docs/patterns.md` renders. Its own entry, so programs do not load the catalogue.
 *
 * ```ts
 * import { findPattern } from '@fox/sdk/vault';
 * findPattern('retry-budget')?.parameters.find((p) => p.name === 'attempts')?.default; // 3
 * ```
 */
import { PATTERNS } from './catalogue.js';
import type { Pattern } from './pattern.js';

export { PATTERNS } from './catalogue.js';
export type { Pattern, PatternParameter, VerificationLevel } from './pattern.js';

/** The pattern with this id, if any. */
export function findPattern(id: string): Pattern | undefined {
  return PATTERNS.find((p) => p.id === id);
}

/** The pattern switched on by a `fox()` option key (`retry` → retry-budget); not strategies. */
export function patternForOption(option: string): Pattern | undefined {
  return PATTERNS.find((p) => p.kind === 'policy' && p.option === option);
}
