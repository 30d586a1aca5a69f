import type { FileAnalysis, Finding, QuickFix, RuleId, RuleSetting } from '../analysis/types.js';
import type { LiveStats } from '../server/live-stats.js';
import type { FunctionCpuEvidence } from './evidence.js';
import { mergeEvidence, type EvidenceThresholds, type MeasuredFinding } from './merge.js';
import { optionChangeFix } from './option-edits.js';
import { readTaskSource, type TaskSource } from './task-source.js';

/**
 * The server's side of the evidence loop for one document: reads the task options and
 * function extents from the text (once per version), runs the pure merge, and builds the quick
 * fixes of runtime findings.
 */
export class FileEvidence {
  private readonly sources = new Map<string, { version: number; source: TaskSource }>();

  constructor(
    private readonly live: () => LiveStats | undefined,
    private readonly cpu: () => readonly FunctionCpuEvidence[],
    private readonly thresholds: Partial<EvidenceThresholds> = {},
  ) {}

  /** Parsed source of a document version (cached until the version changes). */
  source(uri: string, version: number, analysis: FileAnalysis, text: string): TaskSource {
    const hit = this.sources.get(uri);
    if (hit?.version === version) return hit.source;
    const source = readTaskSource(analysis.path, analysis.file, text);
    this.sources.set(uri, { version, source });
    return source;
  }

  /** Static findings merged with the live/stored evidence. */
  merge(
    uri: string,
    version: number,
    analysis: FileAnalysis,
    text: string,
    findings: readonly Finding[],
    rules: Partial<Record<RuleId, RuleSetting>>,
  ): MeasuredFinding[] {
    const live = this.live();
    const hasTasks = analysis.functions.some((f) => f.task);
    const cpu = this.cpu().filter((c) => c.file === analysis.file);
    // Nothing measured about this file: the static findings as they are, no parse.
    if (!live || (!hasTasks && cpu.length === 0)) return [...findings];
    const source = this.source(uri, version, analysis, text);
    return mergeEvidence({
      analysis,
      findings,
      stats: (id) => live.forTask(id),
      cpu,
      extents: source.extents,
      sourceOptions: source.options,
      rules,
      thresholds: this.thresholds,
    });
  }

  /** The quick fix of a runtime finding (its option change as edits), when it has one. */
  fixes(
    uri: string,
    version: number,
    analysis: FileAnalysis,
    text: string,
    f: MeasuredFinding,
  ): QuickFix[] {
    if (!f.change || !f.functionId) return f.fixes;
    const source = this.source(uri, version, analysis, text);
    const unit = source.units.find((u) => u.id === f.functionId);
    const fix = unit && optionChangeFix(source.ctx, unit, f.change.title, f.change.changes);
    return fix ? [...f.fixes, fix] : f.fixes;
  }

  forget(uri: string): void {
    this.sources.delete(uri);
  }
}
