import { ts } from 'ts-morph';
import { findBrowserCode } from './browser-code.js';
import type { ProjectCallGraph } from './call-graph/index.js';
import { classificationOf, classify } from './classify.js';
import { findingSeverity, leastSure } from './confidence.js';
import type { AnalysisConfig } from './config.js';
import { dedupeFindings } from './dedupe-findings.js';
import { FileContext } from './file-context.js';
import { RULES, type AnalyzedUnit, type Rule } from './rules/index.js';
import { testFileMatcher } from './test-files.js';
import type { FileAnalysis, Finding, FunctionReport, RuleSeverity } from './types.js';
import { collectUnits } from './units.js';

/**
 * Which rules to run: `syntax` needs only a parsed file (the editor runs it on every change),
 * `types` needs the checker (debounced), `all` both.
 */
export type AnalysisPhase = 'syntax' | 'types' | 'all';

export interface AnalyzeFileOptions {
  /** Absolute path of the file. */
  path: string;
  /** Path relative to the project root, `/` separators (the task-id prefix). */
  file: string;
  config: AnalysisConfig;
  phase: AnalysisPhase;
  /**
   * Required for type-aware rules; they are skipped without it. Called lazily, only when the
   * file has something a type-aware rule looks at (a fox task), because building the program
   * and its checker costs more than the whole syntax analysis.
   */
  checker?: () => ts.TypeChecker;
  /** Polled between rules so a superseded analysis stops early. */
  isCancelled?: () => boolean;
  /**
   * The file's tsconfig targets the browser (see `tsconfigTargetsBrowser`): the Node runtime
   * rules skip it. The caller reads the tsconfig; the analyser has no file system.
   */
  browserTsconfig?: boolean;
  /**
   * The project's call graph: classifications then include the work of same-project callees
   * (with the path in the evidence), and FOX006 sees module state touched through callees.
   */
  callGraph?: ProjectCallGraph;
}

/**
 * Configured severity of `rule` under `config`, or undefined when it is off (a finding's own
 * severity also depends on its confidence: see `findingSeverity`).
 */
export function severityOf(rule: Rule, config: AnalysisConfig): RuleSeverity | undefined {
  const setting = config.rules[rule.id];
  if (setting === 'off') return undefined;
  if (setting === 'warn') return 'warning';
  if (setting === 'error') return 'error';
  return rule.defaultSeverity;
}

const testMatchers = new WeakMap<AnalysisConfig, (file: string) => boolean>();

/** Is `file` (relative to the project root) test code under `config`? */
export function isTestFile(file: string, config: AnalysisConfig): boolean {
  let matcher = testMatchers.get(config);
  if (!matcher) {
    matcher = testFileMatcher(config.testGlobs, config.testRunnerPatterns);
    testMatchers.set(config, matcher);
  }
  return matcher(file);
}

/** Parses `text` without a program: enough for classification and the syntax rules. */
export function parseSource(path: string, text: string): ts.SourceFile {
  return ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
}

/** Thrown when `isCancelled` reports true. */
export class AnalysisCancelledError extends Error {
  readonly code = 'FOX_ANALYSIS_CANCELLED';
  constructor() {
    super('analysis cancelled');
    this.name = 'AnalysisCancelledError';
  }
}

/** Classifies every function of one file and runs the rules of `phase` on it. */
export function analyzeSourceFile(sf: ts.SourceFile, options: AnalyzeFileOptions): FileAnalysis {
  const graph = options.callGraph;
  const summary = graph?.summarize(sf, options.path, options.file);
  const ctx = summary?.ctx ?? new FileContext(sf, options.path, options.file);
  const units = summary?.units.map((s) => s.unit) ?? collectUnits(ctx);
  const unitNodes = summary?.unitNodes ?? new Set<ts.Node>(units.map((u) => u.node));
  // The checker resolves what the syntax cannot (instance methods), only when a type-aware rule
  // builds it anyway: a file with tasks outside the syntax phase.
  const callChecker =
    options.phase !== 'syntax' && units.some((u) => u.task) ? options.checker : undefined;
  const dependencies = new Set<string>();
  const analyzed: AnalyzedUnit[] = units.map((u, i) => {
    const own = summary?.units[i];
    if (!graph || !summary || !own) return { ...u, classification: classify(ctx, u, unitNodes) };
    const callees = graph.calleeWork(summary, own, callChecker?.());
    for (const d of callees.dependencies) dependencies.add(d);
    const classification =
      callees.evidence.length === 0
        ? own.own
        : classificationOf([...own.own.evidence, ...callees.evidence]);
    return { ...u, classification, callees };
  });
  const functions: FunctionReport[] = analyzed.map((u) => ({
    id: u.id,
    name: u.name,
    file: ctx.file,
    ...ctx.lineColumn(u.anchor),
    range: ctx.range(u.anchor),
    kind: u.classification.kind,
    recommendedMode: u.classification.recommendedMode,
    evidence: u.classification.evidence,
    exported: u.exported,
    ...(u.task
      ? {
          task: {
            ...(u.task.mode ? { mode: u.task.mode } : {}),
            options: u.task.options,
            via: u.task.via,
          },
        }
      : {}),
    ...(u.handler ? { handler: u.handler } : {}),
  }));
  const findings: Finding[] = [];
  const settings = { timeoutMs: options.config.timeoutMs, laneLimit: options.config.laneLimit };
  // Every type-aware rule is about fox tasks (FOX006, FOX008): no task, no checker needed.
  const hasTasks = analyzed.some((u) => u.task);
  let checker: ts.TypeChecker | undefined;
  const buildChecker = options.checker;
  const typeChecker = buildChecker ? (): ts.TypeChecker => (checker ??= buildChecker()) : undefined;
  // Browser code (a frontend file, a function serialised into a page) is not Node code.
  const browser = findBrowserCode(ctx, options.config, options.browserTsconfig ?? false);
  // Production-latency rules do not hold for tests and fakes: keep the findings, as hints.
  const inTests = isTestFile(ctx.file, options.config);
  for (const rule of RULES) {
    if (options.isCancelled?.()) throw new AnalysisCancelledError();
    const severity = severityOf(rule, options.config);
    if (!severity) continue;
    if (browser.skipsRule(rule.id)) continue;
    // A syntax rule that sees more with types runs in the types phase too, for what types add.
    const sharpened = !rule.needsTypes && rule.usesTypes === true && typeChecker !== undefined;
    if (
      rule.needsTypes
        ? options.phase === 'syntax' || !options.checker
        : options.phase === 'types' && !sharpened
    )
      continue;
    if (rule.needsTypes && !hasTasks) continue;
    if (rule.needsTypes) checker ??= options.checker?.();
    // In the types phase, the findings the syntax phase made already are not reported twice.
    const reportedBySyntax = new Set<ts.Node>();
    if (sharpened && options.phase === 'types') {
      rule.check({
        file: ctx,
        units: analyzed,
        unitNodes,
        settings,
        report: (r) => reportedBySyntax.add(r.node),
      });
    }
    rule.check({
      file: ctx,
      units: analyzed,
      unitNodes,
      ...(rule.needsTypes && checker ? { checker } : {}),
      ...(sharpened && options.phase !== 'syntax' ? { typeChecker: typeChecker! } : {}),
      settings,
      report(r) {
        if (reportedBySyntax.has(r.node) || browser.hides(rule.id, r.node)) return;
        const reported = r.confidence ?? 'certain';
        const confidence =
          inTests && !rule.correctness ? leastSure(reported, 'possible') : reported;
        findings.push({
          rule: rule.id,
          severity: findingSeverity(severity, confidence, options.config.minConfidence),
          confidence,
          file: ctx.file,
          path: ctx.path,
          ...ctx.lineColumn(r.node),
          range: ctx.range(r.node),
          message: r.message,
          pattern: rule.pattern,
          ...(r.unit ? { functionId: r.unit.id } : {}),
          evidence: r.evidence ?? [],
          fixes: (r.fixes ?? []).filter((f) => f !== undefined),
          ...(r.fixUnavailable ? { fixUnavailable: r.fixUnavailable } : {}),
        });
      },
    });
  }
  const unique = dedupeFindings(findings);
  unique.sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
  return {
    path: ctx.path,
    file: ctx.file,
    functions,
    findings: unique,
    ...(graph ? { dependencies: [...dependencies].sort() } : {}),
  };
}
