import { relative, sep } from 'node:path';
import type { AnalysisResult, ProjectOrigin } from '../analysis/project.js';
import { RULES } from '../analysis/rules/index.js';
import type {
  Confidence,
  Evidence,
  Finding,
  FunctionReport,
  HandlerRole,
  Severity,
  WorkKind,
} from '../analysis/types.js';

/** Version of the `.fox/analysis.json` format (the runtime's `auto` mode reads it). */
export const ANALYSIS_FORMAT_VERSION = 1;

const rel = (root: string, path: string): string => relative(root, path).split(sep).join('/');

/** The JSON report: `{ functions, findings }` with paths relative to the analysed folder. */
export interface JsonReport {
  version: number;
  tool: string;
  functions: {
    id: string;
    file: string;
    line: number;
    kind: WorkKind;
    recommendedMode: string;
    declaredMode?: string;
    /** The route, listener or job the function is registered as (`POST /users`). */
    handler?: { kind: HandlerRole['kind']; label: string };
    evidence: {
      kind: Evidence['kind'];
      reason: string;
      line: number;
      column: number;
      text: string;
    }[];
  }[];
  findings: {
    rule: string;
    severity: string;
    confidence: Confidence;
    file: string;
    line: number;
    column: number;
    message: string;
    pattern: string;
    functionId?: string;
  }[];
}

export function toJsonReport(result: AnalysisResult, root: string): JsonReport {
  const fileOf = new Map(result.files.map((f) => [f.file, f.path] as const));
  const fnFile = (fn: FunctionReport): string => {
    const abs = result.files.find((f) => f.functions.includes(fn))?.path ?? fileOf.get(fn.file);
    return abs ? rel(root, abs) : fn.file;
  };
  return {
    version: ANALYSIS_FORMAT_VERSION,
    tool: 'fox-analyze',
    functions: result.functions.map((fn) => ({
      id: fn.id,
      file: fnFile(fn),
      line: fn.line,
      kind: fn.kind,
      recommendedMode: fn.recommendedMode,
      ...(fn.task?.mode ? { declaredMode: fn.task.mode } : {}),
      ...(fn.handler ? { handler: { kind: fn.handler.kind, label: fn.handler.label } } : {}),
      evidence: fn.evidence.map((e) => ({
        kind: e.kind,
        reason: e.reason,
        line: e.line,
        column: e.column,
        text: e.text,
      })),
    })),
    findings: result.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      confidence: f.confidence,
      file: rel(root, f.path),
      line: f.line,
      column: f.column,
      message: f.message,
      pattern: f.pattern,
      ...(f.functionId ? { functionId: f.functionId } : {}),
    })),
  };
}

/** SARIF 2.1.0, as GitHub code scanning accepts it (relative URIs under %SRCROOT%). */
export function toSarif(result: AnalysisResult, root: string, version: string): unknown {
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i] as const));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'fox-analyze',
            semanticVersion: version,
            version,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.description },
              fullDescription: { text: r.description },
              defaultConfiguration: { level: r.defaultSeverity },
              help: { text: `${r.description} Recommended pattern: ${r.pattern}.` },
              properties: { pattern: r.pattern, typeAware: r.needsTypes, tags: ['fox', r.pattern] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToUri(root)}/` } },
        results: result.findings.map((f) => sarifResult(f, root, ruleIndex.get(f.rule) ?? 0)),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}

function sarifResult(f: Finding, root: string, index: number): unknown {
  return {
    ruleId: f.rule,
    ruleIndex: index,
    level: SARIF_LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(rel(root, f.path)), uriBaseId: '%SRCROOT%' },
          region: {
            startLine: f.range.start.line + 1,
            startColumn: f.range.start.character + 1,
            endLine: f.range.end.line + 1,
            endColumn: f.range.end.character + 1,
          },
        },
      },
    ],
    partialFingerprints: { foxFunction: f.functionId ?? `${rel(root, f.path)}:${f.rule}` },
    properties: { confidence: f.confidence },
  };
}

/** SARIF has no "hint"; `note` is its level for findings that should not gate a build. */
const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  hint: 'note',
};

function pathToUri(path: string): string {
  const p = path.split(sep).join('/');
  return encodeURI(`file://${p.startsWith('/') ? '' : '/'}${p}`);
}

/**
 * Human-readable report: each finding on its own line (`file:line:column  severity  rule
 * message [confidence]`), then what was analysed — which projects when `origin` is given — and
 * the totals.
 */
export function toText(
  result: AnalysisResult,
  root: string,
  withFunctions: boolean,
  origin?: ProjectOrigin,
): string {
  const lines: string[] = [];
  if (withFunctions) {
    for (const fn of result.functions) {
      const why = [...new Set(fn.evidence.map((e) => e.reason))].slice(0, 3).join(', ');
      const declared = fn.task?.mode ? ` (declared ${fn.task.mode})` : '';
      lines.push(
        `${fn.id}  ${fn.kind} → ${fn.recommendedMode}${declared}${why ? `  [${why}]` : ''}`,
      );
    }
    if (result.functions.length) lines.push('');
  }
  for (const f of result.findings) {
    lines.push(
      `${rel(root, f.path)}:${f.line}:${f.column}  ${f.severity.padEnd(7)}  ${f.rule}  ${f.message} [${f.confidence}]`,
    );
  }
  const kinds: Record<WorkKind, number> = { cpu: 0, io: 0, light: 0, mixed: 0 };
  for (const fn of result.functions) kinds[fn.kind]++;
  const count = (s: Severity): number => result.findings.filter((f) => f.severity === s).length;
  const [errors, warnings, hints] = [count('error'), count('warning'), count('hint')];
  if (result.findings.length) lines.push('');
  if (origin) lines.push(describeOrigin(origin, root));
  lines.push(
    `${result.files.length} files, ${result.functions.length} functions (cpu ${kinds.cpu}, io ${kinds.io}, mixed ${kinds.mixed}, light ${kinds.light}); ${errors} errors, ${warnings} warnings, ${hints} hints`,
  );
  return lines.join('\n') + '\n';
}

function describeOrigin(origin: ProjectOrigin, root: string): string {
  const { tsconfig, projects } = origin;
  if (!tsconfig) return 'analysed the folder (no tsconfig.json)';
  const names = projects.map((p) => rel(root, p) || p).join(', ');
  return `analysed ${projects.length} ${projects.length === 1 ? 'project' : 'projects'} from ${rel(root, tsconfig)}: ${names}`;
}
