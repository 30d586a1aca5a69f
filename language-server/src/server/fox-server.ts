import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import {
  CodeActionKind,
  DiagnosticSeverity,
  DocumentDiagnosticReportKind,
  TextDocumentSyncKind,
  type CodeAction,
  type CodeLens,
  type Connection,
  type Diagnostic,
  type Hover,
  type InitializeResult,
  type Range as LspRange,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_STORE_PATH } from '@fox/sdk';
import { parseSource } from '../analysis/analyzer.js';
import { isAnalysisConfigError } from '../analysis/config.js';
import { FileContext } from '../analysis/file-context.js';
import { markAsTask } from '../analysis/fixes.js';
import { FoxAnalyzer, toRelative } from '../analysis/project.js';
import type {
  FileAnalysis,
  Finding,
  FoxMode,
  FunctionReport,
  Range,
  Severity,
} from '../analysis/types.js';
import { collectUnits } from '../analysis/units.js';
import { DocumentAnalysis } from './document-analysis.js';
import { StoreLiveStats, formatLiveStats, type LiveStats } from './live-stats.js';

export interface FoxServerOptions {
  /** Live numbers for hover and code lens; default: the workspace's `.fox/fox.db`. */
  liveStats?: LiveStats;
  /** Quiet time before type-aware rules run after a change (default 300 ms). */
  debounceMs?: number;
  /** Builds the analyser for the workspace folder (default: FoxAnalyzer.fromDirectory). */
  createAnalyzer?: (root: string) => FoxAnalyzer;
}

/** Command ids the code lenses carry: `fox.runAs` runs on the server, `fox.showTask` in the client. */
export const COMMANDS = { runAs: 'fox.runAs', showTask: 'fox.showTask' } as const;

const contains = (r: Range, line: number, character: number): boolean =>
  (line > r.start.line || (line === r.start.line && character >= r.start.character)) &&
  (line < r.end.line || (line === r.end.line && character <= r.end.character));

const overlaps = (a: Range, b: LspRange): boolean =>
  !(
    a.end.line < b.start.line ||
    (a.end.line === b.start.line && a.end.character < b.start.character) ||
    a.start.line > b.end.line ||
    (a.start.line === b.end.line && a.start.character > b.end.character)
  );

/**
 * Wires the Fox analyser to an LSP connection: pull diagnostics (syntax rules on every change,
 * type-aware rules debounced and cancellable, then a diagnostics refresh), hover, code lens,
 * code actions with the quick-fix edits, and the `fox.runAs` command.
 */
export function createFoxServer(
  connection: Connection,
  options: FoxServerOptions = {},
): { dispose(): void } {
  let live: LiveStats | undefined = options.liveStats;
  let analysis: DocumentAnalysis | undefined;
  let refreshSupported = false;

  const docs = (): DocumentAnalysis => {
    if (!analysis) throw new Error('fox language server: not initialized');
    return analysis;
  };

  connection.onInitialize((params): InitializeResult => {
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    const root = folder ? fileURLToPath(folder) : process.cwd();
    live ??= new StoreLiveStats(join(root, DEFAULT_STORE_PATH));
    const analyzer = (options.createAnalyzer ?? ((r: string) => FoxAnalyzer.fromDirectory(r)))(
      root,
    );
    refreshSupported = params.capabilities.workspace?.diagnostics?.refreshSupport === true;
    analysis = new DocumentAnalysis(analyzer, {
      debounceMs: options.debounceMs ?? 300,
      onTypesReady: () => {
        if (refreshSupported) void connection.languages.diagnostics.refresh();
      },
      onError: (m) => connection.console.error(m),
    });
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        diagnosticProvider: {
          identifier: 'fox',
          interFileDependencies: false,
          workspaceDiagnostics: false,
        },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        // fox.showTask is the client's (it opens the profiler view); the server runs fox.runAs.
        executeCommandProvider: { commands: [COMMANDS.runAs] },
      },
      serverInfo: { name: 'fox-language-server', version: '0.1.0' },
    };
  });

  // Full text per document, kept with incremental sync.
  const texts = new Map<string, TextDocument>();
  connection.onDidOpenTextDocument(({ textDocument: d }) => {
    texts.set(d.uri, TextDocument.create(d.uri, d.languageId, d.version, d.text));
    docs().open(d.uri, d.version, d.text);
  });
  connection.onDidChangeTextDocument(({ textDocument: d, contentChanges }) => {
    const prev = texts.get(d.uri);
    if (!prev) return;
    const next = TextDocument.update(prev, contentChanges, d.version);
    texts.set(d.uri, next);
    docs().change(d.uri, d.version, next.getText());
  });
  connection.onDidCloseTextDocument(({ textDocument: d }) => {
    texts.delete(d.uri);
    docs().close(d.uri);
  });

  /** Syntax findings for the current text plus type-aware ones when they are current. */
  let configError: string | undefined;
  const current = (
    uri: string,
  ): { syntax: FileAnalysis; findings: Finding[]; complete: boolean } | undefined => {
    let syntax: FileAnalysis | undefined;
    try {
      syntax = docs().syntax(uri);
      configError = undefined;
    } catch (e) {
      // A bad fox.config.json must not break the editor: say so once, analyse nothing.
      if (!isAnalysisConfigError(e)) throw e;
      if (configError !== e.message) void connection.window.showErrorMessage(e.message);
      configError = e.message;
      return undefined;
    }
    if (!syntax) return undefined;
    const types = docs().types(uri);
    return {
      syntax,
      findings: [...syntax.findings, ...(types?.findings ?? [])],
      complete: types !== undefined,
    };
  };

  connection.languages.diagnostics.on((params, token) => {
    const uri = params.textDocument.uri;
    const now = current(uri);
    if (!now || token.isCancellationRequested)
      return { kind: DocumentDiagnosticReportKind.Full, items: [] };
    const resultId = `${docs().version(uri)}:${now.complete ? 'all' : 'syntax'}`;
    if (params.previousResultId === resultId) {
      return { kind: DocumentDiagnosticReportKind.Unchanged, resultId };
    }
    return {
      kind: DocumentDiagnosticReportKind.Full,
      resultId,
      items: now.findings.map(toDiagnostic),
    };
  });

  connection.onHover(({ textDocument, position }): Hover | null => {
    const fn = current(textDocument.uri)?.syntax.functions.find((f) =>
      contains(f.range, position.line, position.character),
    );
    if (!fn) return null;
    return { contents: { kind: 'markdown', value: hoverText(fn, live) }, range: fn.range };
  });

  connection.onCodeLens(({ textDocument }): CodeLens[] => {
    const now = current(textDocument.uri);
    if (!now) return [];
    const lenses: CodeLens[] = [];
    for (const fn of now.syntax.functions) {
      const range = { start: fn.range.start, end: fn.range.start };
      if (fn.task) {
        const stats = live?.forTask(fn.id);
        lenses.push({
          range,
          command: {
            title: `fox ${fn.task.mode ?? 'task'} · ${stats ? formatLiveStats(stats) : 'no data yet'}`,
            command: COMMANDS.showTask,
            arguments: [fn.id],
          },
        });
      } else if (fn.kind === 'cpu') {
        lenses.push({
          range,
          command: {
            title: `Run as ${fn.recommendedMode}`,
            command: COMMANDS.runAs,
            arguments: [textDocument.uri, fn.id, fn.recommendedMode],
          },
        });
      }
    }
    return lenses;
  });

  connection.onCodeAction(({ textDocument, range, context }): CodeAction[] => {
    const now = current(textDocument.uri);
    if (!now) return [];
    const actions: CodeAction[] = [];
    for (const f of now.findings) {
      if (!overlaps(f.range, range)) continue;
      const diagnostic = toDiagnostic(f);
      const matches = context.diagnostics.filter(
        (d) => d.code === f.rule && d.range.start.line === f.range.start.line,
      );
      f.fixes.forEach((fix, i) => {
        actions.push({
          title: `${fix.title} (${f.rule})`,
          kind: CodeActionKind.QuickFix,
          diagnostics: matches.length ? matches : [diagnostic],
          isPreferred: i === 0,
          edit: { changes: { [pathToFileURL(fix.path).href]: fix.edits } },
        });
      });
    }
    return actions;
  });

  connection.onExecuteCommand(async ({ command, arguments: args }) => {
    if (command !== COMMANDS.runAs) return null;
    const [uri, id, mode] = (args ?? []) as [string, string, FoxMode];
    const text = docs().text(uri);
    if (text === undefined) return null;
    const path = fileURLToPath(uri);
    const sf = parseSource(path, text);
    const root = docs().analyzer.rootOf(path);
    const ctx = new FileContext(sf, path, toRelative(path, root));
    const unit = collectUnits(ctx).find((u) => u.id === id);
    const fix = unit ? markAsTask(ctx, unit, mode) : undefined;
    if (!fix) return null;
    const result = await connection.workspace.applyEdit({
      label: fix.title,
      edit: { changes: { [uri]: fix.edits } },
    });
    return result.applied;
  });

  // fox.config.json / package.json edits change rule settings: re-read them, re-pull everything.
  connection.onDidChangeWatchedFiles(({ changes }) => {
    if (!changes.some((c) => /(fox\.config|package)\.json$/.test(c.uri))) return;
    docs().reloadConfig();
    if (refreshSupported) void connection.languages.diagnostics.refresh();
  });

  connection.onShutdown(() => analysis?.dispose());

  return {
    dispose() {
      analysis?.dispose();
      if (live instanceof StoreLiveStats) live.close();
    },
  };
}

/** Hints are shown without a squiggle (faded dots in VS Code), not in the problems count. */
const DIAGNOSTIC_SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  hint: DiagnosticSeverity.Hint,
};

function toDiagnostic(f: Finding): Diagnostic {
  return {
    range: f.range,
    severity: DIAGNOSTIC_SEVERITY[f.severity],
    code: f.rule,
    source: 'fox',
    message: f.message,
    data: { functionId: f.functionId, pattern: f.pattern, confidence: f.confidence },
  };
}

function hoverText(fn: FunctionReport, live: LiveStats | undefined): string {
  const lines = [
    `**fox** \`${fn.id}\``,
    '',
    `${fn.kind === 'light' ? 'Light' : fn.kind === 'io' ? 'I/O-bound' : fn.kind === 'cpu' ? 'CPU-bound' : 'Mixed CPU and I/O'} work → recommended **${fn.recommendedMode}**${fn.task?.mode ? ` (declared \`${fn.task.mode}\`)` : ''}`,
  ];
  if (fn.evidence.length) {
    lines.push('', 'Evidence:');
    for (const e of fn.evidence.slice(0, 8))
      lines.push(`- line ${e.line}: ${e.reason} — \`${e.text.replace(/`/g, "'")}\``);
  }
  if (fn.task) {
    const stats = live?.forTask(fn.id);
    lines.push('', stats ? `Live: ${formatLiveStats(stats)}` : 'Live: no data yet');
  }
  return lines.join('\n');
}
