/**
 * The shape of a vault entry: one resilience pattern or execution strategy, described well
 * enough for the analyser to recommend it and for `docs/patterns.md` to explain it.
 */

/**
 * How strongly the implementation behind a pattern is checked, strongest first:
 * - `property-tested`: invariants hold for generated inputs (fast-check), plus unit tests;
 * - `unit-tested`: example-based tests on a fake clock;
 * - `documented`: described, not (yet) verified by tests in this repository.
 */
export type VerificationLevel = 'property-tested' | 'unit-tested' | 'documented';

export interface PatternParameter {
  /** Option key, as written inside the pattern's option (e.g. `attempts` in `retry`). */
  name: string;
  /** The TypeScript-ish type users write. */
  type: string;
  /** The default, or undefined when the parameter is required or has no default. */
  default?: unknown;
  /** Whether the option object needs it. */
  required?: boolean;
  description: string;
}

export interface Pattern {
  /** Stable id, used by the analyser's recommendations (`retry-budget`, `wfox`, …). */
  id: string;
  kind: 'policy' | 'strategy';
  /** Display name. */
  name: string;
  /** The `fox()` option that turns it on (`retry`, or `mode` for strategies). */
  option: string;
  /** The problem it solves, one or two sentences. */
  problem: string;
  whenToUse: string[];
  whenNotToUse: string[];
  parameters: PatternParameter[];
  /**
   * A complete TypeScript module using it through the public entry (`@fox/sdk`). A test
   * type-checks every example against the sdk sources.
   */
  example: string;
  verification: {
    level: VerificationLevel;
    /** Test files (repository-relative) that back the level. */
    evidence: string[];
  };
  /** Ids of patterns that usually go with this one. */
  related: string[];
}
