/**
 * @fox/language-server — the Fox analyser (classification, rules FOX001–FOX009, quick fixes),
 * the `fox analyze` command and the LSP server.
 *
 * ```ts
 * import { FoxAnalyzer } from '@fox/language-server';
 * const result = FoxAnalyzer.fromDirectory('.').analyzeAll();
 * for (const f of result.findings) console.log(f.rule, f.file, f.line, f.message);
 * ```
 */
export { FoxAnalyzer, toRelative } from './analysis/project.js';
export type { AnalysisResult, AnalyzeOptions, ProjectOrigin } from './analysis/project.js';
export { ProjectLoadError, isProjectLoadError } from './analysis/project-load-error.js';
export {
  analyzeSourceFile,
  parseSource,
  severityOf,
  isTestFile,
  AnalysisCancelledError,
} from './analysis/analyzer.js';
export type { AnalysisPhase, AnalyzeFileOptions } from './analysis/analyzer.js';
export {
  AnalysisConfigError,
  AnalysisConfigSchema,
  DEFAULT_CONFIG,
  RULE_IDS,
  isAnalysisConfigError,
  loadAnalysisConfig,
  parseAnalysisConfig,
} from './analysis/config.js';
export type { AnalysisConfig } from './analysis/config.js';
export {
  CONFIDENCES,
  confidenceByMargin,
  findingSeverity,
  leastSure,
  meetsBar,
} from './analysis/confidence.js';
export { DEFAULT_TEST_GLOBS, globToRegExp, testFileMatcher } from './analysis/test-files.js';
export { readTestRunnerPatterns } from './analysis/test-runner-config.js';
export type { TestRunnerPatterns } from './analysis/test-runner-config.js';
export { DEFAULT_BROWSER_GLOBS, NODE_RUNTIME_RULES } from './analysis/browser-code.js';
export { RULES } from './analysis/rules/index.js';
export type { Rule } from './analysis/rules/index.js';
export { applyEdits } from './analysis/fixes.js';
export type * from './analysis/types.js';
export { main as analyzeMain, ANALYZE_USAGE } from './cli/analyze.js';
export type { CliIo } from './cli/analyze.js';
export { toJsonReport, toSarif, toText, ANALYSIS_FORMAT_VERSION } from './cli/report-formats.js';
export type { JsonReport } from './cli/report-formats.js';
export { createFoxServer, COMMANDS } from './server/fox-server.js';
export type { FoxServerOptions } from './server/fox-server.js';
export { startServer } from './server/main.js';
export { NO_LIVE_STATS, formatLiveStats } from './server/live-stats.js';
export type { LiveStats, TaskLiveStats } from './server/live-stats.js';
export {
  LIVE_STATS_METHOD,
  LIVE_STATS_VERSION,
  LiveStatsParamsSchema,
} from './runtime-evidence/live-stats-protocol.js';
export type {
  LiveStatsMethod,
  LiveStatsParams,
  LiveTask,
  RunningOptions,
} from './runtime-evidence/live-stats-protocol.js';
export { mergeEvidence, DEFAULT_THRESHOLDS } from './runtime-evidence/merge.js';
export type {
  EvidenceThresholds,
  MeasuredFinding,
  MergeInput,
  OptionChange,
  SourceTaskOptions,
} from './runtime-evidence/merge.js';
export { toFunctionCpuEvidence, functionAt } from './runtime-evidence/evidence.js';
export type { FunctionCpuEvidence, FunctionExtent } from './runtime-evidence/evidence.js';
