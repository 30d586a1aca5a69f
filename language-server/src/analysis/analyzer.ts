import { ts } from 'ts-morph';
import { classify } from './classify.js';
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
    matcher = testFileMatcher(config.testGlobs);
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
  const ctx = new FileContext(sf, options.path, options.file);
  const units = collectUnits(ctx);
  const unitNodes = new Set<ts.Node>(units.map((u) => u.node));
  const analyzed: AnalyzedUnit[] = units.map((u) => ({
    ...u,
    classification: classify(ctx, u, unitNodes),
  }));
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
  }));
  const findings: Finding[] = [];
  const settings = { timeoutMs: options.config.timeoutMs, laneLimit: options.config.laneLimit };
  // Every type-aware rule is about fox tasks (FOX006, FOX008): no task, no checker needed.
  const hasTasks = analyzed.some((u) => u.task);
  let checker: ts.TypeChecker | undefined;
  // Production-latency rules do not hold for tests and fakes: keep the findings, as hints.
  const inTests = isTestFile(ctx.file, options.config);
  for (const rule of RULES) {
    if (options.isCancelled?.()) throw new AnalysisCancelledError();
    const severity = severityOf(rule, options.config);
    if (!severity) continue;
    if (
      rule.needsTypes ? options.phase === 'syntax' || !options.checker : options.phase === 'types'
    )
      continue;
    if (rule.needsTypes && !hasTasks) continue;
    if (rule.needsTypes) checker ??= options.checker?.();
    rule.check({
      file: ctx,
      units: analyzed,
      unitNodes,
      ...(rule.needsTypes && checker ? { checker } : {}),
      settings,
      report(r) {
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
        });
      },
    });
  }
  const unique = dedupeFindings(findings);
  unique.sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
  return { path: ctx.path, file: ctx.file, functions, findings: unique };
}
