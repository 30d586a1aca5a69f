import type { ts } from 'ts-morph';

/** What dominates a function's time: CPU work, waiting on I/O, both, or neither. */
export type WorkKind = 'cpu' | 'io' | 'light' | 'mixed';

/** The execution strategies a recommendation can name (`auto` is never recommended). */
export type FoxMode = 'sfox' | 'wfox' | 'tfox' | 'mfox';

/** Stable rule ids: FOX0xx from the source, FOX1xx from runtime evidence (runtime-evidence/). */
export type RuleId =
  | 'FOX001'
  | 'FOX002'
  | 'FOX003'
  | 'FOX004'
  | 'FOX005'
  | 'FOX006'
  | 'FOX007'
  | 'FOX008'
  | 'FOX009'
  | RuntimeRuleId;

/** Rules whose findings come from measurements of a run, merged into the static findings. */
export type RuntimeRuleId = 'FOX101' | 'FOX102' | 'FOX103' | 'FOX104' | 'FOX105' | 'FOX106';

/** Severity a rule is configured at (`off` rules report nothing). */
export type RuleSeverity = 'error' | 'warning';

/**
 * Severity of a reported finding: the rule's configured severity when the finding is confident
 * enough, else `hint` (shown without a squiggle, never failing a build).
 */
export type Severity = RuleSeverity | 'hint';

/**
 * How sure a finding is: `certain` (a known blocking call, a fact read from the code), `likely`
 * (heuristic evidence well over the threshold) or `possible` (at the edge, or in test code).
 */
export type Confidence = 'certain' | 'likely' | 'possible';

/** Per-rule setting in `fox.config.json` / `package.json#fox`. */
export type RuleSetting = 'off' | 'warn' | 'error';

/** LSP-compatible position: 0-based line and UTF-16 character. */
export interface Position {
  line: number;
  character: number;
}

/** LSP-compatible range. */
export interface Range {
  start: Position;
  end: Position;
}

/** LSP-compatible text edit. */
export interface TextEdit {
  range: Range;
  newText: string;
}

/** A quick fix: minimal edits to one file. */
export interface QuickFix {
  title: string;
  /** Absolute path of the file the edits apply to. */
  path: string;
  edits: TextEdit[];
  /**
   * Present when `edits` are only the local part of the fix: the complete, checked edit set
   * (every caller updated, formatted, verified against the type checker) comes from
   * `FoxAnalyzer.resolveFix`, which may also find that the fix must not be applied.
   */
  resolve?: TaskFixTarget;
}

/** What a "run as a fox task" fix wraps: the function by task id (or id-to-be), and the mode. */
export interface TaskFixTarget {
  kind: 'mark-as-task';
  functionId: string;
  mode: FoxMode;
}

/** Edits to one file, as part of a fix that spans several files. */
export interface FileEdits {
  /** Absolute path. */
  path: string;
  edits: TextEdit[];
}

/** The complete edit set of a fix, or why it cannot be applied safely. */
export type ResolvedFix = { edits: FileEdits[] } | { unavailable: string };

/** One node that made a classification or a finding what it is. */
export interface Evidence {
  /** Which side of the classification the node counts for. */
  kind: 'cpu' | 'io' | 'blocking';
  reason: string;
  /** Source text of the node, shortened. */
  text: string;
  /** 1-based line and column. */
  line: number;
  column: number;
  weight: number;
  /** A catalogue call that blocks the event loop whatever its input (`*Sync` I/O, crypto, zlib). */
  certain?: boolean;
  /**
   * Present when the work is in a function this one calls (directly or through others): the
   * callees' names from the first call down to the function doing the work. `line`/`column`/
   * `text` then point at the call in this function.
   */
  via?: string[];
  /**
   * Reached through a call that does not always run (under an `if`, `?:`, `&&`, `catch`, …): a
   * certain catalogue call at the end of such a path only makes a likely finding.
   */
  conditional?: boolean;
  /**
   * Reached through a call this function makes inside a loop: the callee's work repeats per
   * element, which makes it this function's cost, not only the callee's.
   */
  inLoop?: boolean;
}

/** How a function is declared as a fox task, when it is one. */
export interface TaskDeclaration {
  via: 'decorator' | 'wrap';
  /** The declared mode, when it is a string literal. */
  mode?: string;
  /** Names of the option keys given in the options literal. */
  options: string[];
  /** The options literal, when the options are one. */
  optionsNode?: ts.ObjectLiteralExpression;
  modeNode?: ts.StringLiteralLike;
}

/**
 * What registers a function as a handler, when a registration in the file does: a route, a
 * middleware, a server's request handler, an event listener or a queue's job processor.
 */
export interface HandlerRole {
  kind: 'route' | 'middleware' | 'server' | 'event' | 'job';
  /** The registration: `POST /users`, `USE /api`, `process.on:SIGTERM`, `Worker:emails`. */
  label: string;
  /**
   * Written inline in the registration call (`app.post('/x', async (req, res) => …)`): it has
   * no name to export or wrap by, so no "run as a task" fix is offered for it.
   */
  inline: boolean;
}

/** A function or method the analyser classifies and reports on. */
export interface FunctionReport {
  /** Task id, or the id it will have once it becomes a task (the "id-to-be"). */
  id: string;
  name: string;
  /** Path relative to the project root, `/` separators. */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  /** 0-based range of the function's name (or of the function when it has none). */
  range: Range;
  kind: WorkKind;
  recommendedMode: FoxMode;
  evidence: Evidence[];
  /** Present when the function already is a fox task. */
  task?: { mode?: string; options: string[]; via: 'decorator' | 'wrap' };
  exported: boolean;
  /** Present when the function is registered as a route, listener or job handler. */
  handler?: HandlerRole;
}

/** One rule violation. */
export interface Finding {
  rule: RuleId;
  /** Derived from the rule's configured severity and `confidence` against the config's bar. */
  severity: Severity;
  confidence: Confidence;
  /** Path relative to the project root. */
  file: string;
  /** Absolute path. */
  path: string;
  /** 1-based line and column of the start of the reported node. */
  line: number;
  column: number;
  /** 0-based LSP range of the reported node. */
  range: Range;
  message: string;
  /** Resilience pattern or mode id the finding recommends (vault ids, linked later). */
  pattern: string;
  /** Task id (or id-to-be) of the function the finding is in, when any. */
  functionId?: string;
  evidence: Evidence[];
  fixes: QuickFix[];
  /**
   * Why the fix this finding would naturally have (wrapping the function as a task) is not
   * offered: applying it would break callers, the type check or the function's behaviour.
   */
  fixUnavailable?: string;
}

/** Result of analysing one file. */
export interface FileAnalysis {
  path: string;
  file: string;
  functions: FunctionReport[];
  findings: Finding[];
  /**
   * Absolute paths of the other files whose functions this result's classifications depend on
   * (callees reached through the project call graph): a change to one of them makes it stale.
   */
  dependencies?: string[];
}
