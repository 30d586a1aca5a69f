import type { ts } from 'ts-morph';
import type { CalleeWork } from '../call-graph/index.js';
import type { Classification } from '../classify.js';
import type { FileContext } from '../file-context.js';
import type { Confidence, Evidence, QuickFix, RuleId, RuleSeverity } from '../types.js';
import type { FunctionUnit } from '../units.js';

/** A unit with its classification. */
export interface AnalyzedUnit extends FunctionUnit {
  /** Includes the callees' work when the analysis had the project call graph. */
  classification: Classification;
  /** What the unit's same-project callees do (absent without the call graph). */
  callees?: CalleeWork;
}

/** Tunables the rules and their fixes use (from the config file). */
export interface RuleSettings {
  /** Timeout the "add a timeout" fixes insert, in ms. */
  timeoutMs: number;
  /** Concurrency of the bounded lane the fan-out fix declares. */
  laneLimit: number;
}

/** What a rule reports; the analyser adds the rule id, severity and positions. */
export interface RuleReport {
  node: ts.Node;
  message: string;
  /**
   * How sure the rule is; `certain` when omitted, for rules that report facts read from the
   * code (a call with no timeout). Heuristic rules say `likely` or `possible`, and a rule lowers
   * it for cases it doubts rather than dropping them (they become hints by default).
   */
  confidence?: Confidence;
  unit?: FunctionUnit;
  evidence?: Evidence[];
  fixes?: (QuickFix | undefined)[];
  /** Why the natural fix is not offered (shown with the finding). */
  fixUnavailable?: string;
}

export interface RuleContext {
  file: FileContext;
  units: readonly AnalyzedUnit[];
  /** Unit nodes, which a walk over one function skips (they are analysed on their own). */
  unitNodes: ReadonlySet<ts.Node>;
  /** Present only for type-aware rules. */
  checker?: ts.TypeChecker;
  /**
   * For rules with `usesTypes`: builds (once) and returns the checker, absent when the phase has
   * none. Call it only where the syntax cannot decide: building it costs more than the whole
   * syntax analysis.
   */
  typeChecker?: () => ts.TypeChecker;
  settings: RuleSettings;
  report(r: RuleReport): void;
}

/**
 * A rule: stable id, default severity, the vault pattern it recommends, and whether it needs
 * the type checker (type-aware rules run debounced in the editor; syntax rules on every change).
 */
export interface Rule {
  id: RuleId;
  name: string;
  description: string;
  defaultSeverity: RuleSeverity;
  /** Vault pattern or mode id ('timeout', 'bulkhead', 'tfox', …). */
  pattern: string;
  needsTypes: boolean;
  /**
   * A syntax rule that sees more with the checker (`typeChecker`): it runs without it in the
   * syntax phase, and the types phase reports only what the checker adds (never a finding the
   * syntax phase already made). It must report everything it reports without the checker when it
   * has one, so the types run is a superset.
   */
  usesTypes?: boolean;
  /**
   * The rule reports code that fails when it runs (in a test as in production), not a latency
   * or resilience risk: its findings keep their confidence in test code.
   */
  correctness?: boolean;
  check(rc: RuleContext): void;
}

/** The unit whose body contains `node` (innermost), if any. */
export function unitOf(rc: RuleContext, node: ts.Node): AnalyzedUnit | undefined {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
    if (rc.unitNodes.has(p)) return rc.units.find((u) => u.node === p);
  }
  return undefined;
}
