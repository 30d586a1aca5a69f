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
import { DEFAULT_STORE_PATH } from '@fox/sdk/store';
import { parseSource } from '../analysis/analyzer.js';
import { isAnalysisConfigError } from '../analysis/config.js';
import { FileContext } from '../analysis/file-context.js';
import { offerTaskFix } from '../analysis/task-fix/offer.js';
import { resolveTaskFix } from '../analysis/task-fix/resolve.js';
import { FoxAnalyzer, toRelative } from '../analysis/project.js';
import type {
  FileAnalysis,
  Finding,
  FoxMode,
  FunctionReport,
  Position,
  Range,
  ResolvedFix,
  Severity,
  TextEdit,
} from '../analysis/types.js';
import { collectUnits } from '../analysis/units.js';
import { DocumentAnalysis } from './document-analysis.js';
import { toFunctionCpuEvidence } from '../runtime-evidence/evidence.js';
import { FileEvidence } from '../runtime-evidence/file-evidence.js';
import { evidenceHover, runningLens } from '../runtime-evidence/hover.js';
import {
  LIVE_STATS_METHOD,
  LiveStatsParamsSchema,
} from '../runtime-evidence/live-stats-protocol.js';
import type { MeasuredFinding } from '../runtime-evidence/merge.js';
import {
  LayeredLiveStats,
  LiveFeedStats,
  StoreLiveStats,
  formatLiveStats,
  type LiveStats,
} from './live-stats.js';

export interface FoxServerOptions {
  /**
   * Numbers of past runs for hover, code lens and runtime findings; default: the workspace's
   * `.fox/fox.db`. The live feed (`fox/liveStats` from the client) always comes first.
   */
  liveStats?: LiveStats;
  /** Least time between two editor refreshes caused by live pushes (default 1000 ms). */
  liveRefreshMs?: number;
  /** Quiet time before type-aware rules run after a change (default 300 ms). */
  debounceMs?: number;
  /** Builds the analyser for the workspace folder (default: FoxAnalyzer.fromDirectory). */
  createAnalyzer?: (root: string) => FoxAnalyzer;
}

/**
 * Command ids the code lenses and hovers carry: `fox.runAs` runs on the server, the others in
 * the client (`fox.showTask` reveals the source, `fox.openTaskInProfiler` opens the profiler
 * panel on the task).
 */
export const COMMANDS = {
  runAs: 'fox.runAs',
  showTask: 'fox.showTask',
  openTaskInProfiler: 'fox.openTaskInProfiler',
} as const;

const contains = (r: Range, line: number, character: number): boolean =>
  (line > r.start.line || (line === r.start.line && character >= r.start.character)) &&
  (line < r.end.line || (line === r.end.line && character <= r.end.character));

/** What a task-fix code action carries to `codeAction/resolve`: enough to find its fix again. */
interface FixActionData {
  uri: string;
  rule: string;
  start: Position;
  title: string;
}

/** A quick fix's reason to be absent, for the hover of the function it is about. */
const fixUnavailableText = (reason: string | undefined): string[] =>
  reason ? ['', `Quick fix unavailable: ${reason}.`] : [];

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
  let live: LiveStats | undefined;
  let store: LiveStats | undefined = options.liveStats;
  const feed = new LiveFeedStats();
  let liveVersion = 0;
  let analysis: DocumentAnalysis | undefined;
  let refreshSupported = false;
  /** The client can fill in a code action's edit later (`codeAction/resolve`). */
  let resolveSupported = false;
  let lensRefreshSupported = false;
  const evidence = new FileEvidence(
    () => live,
    () =>
      (feed.latest?.functions ?? []).flatMap((f) => {
        const e = toFunctionCpuEvidence(f);
        return e ? [{ ...e, source: feed.latest?.source.label ?? 'live' }] : [];
      }),
  );

  const docs = (): DocumentAnalysis => {
    if (!analysis) throw new Error('fox language server: not initialized');
    return analysis;
  };

  connection.onInitialize((params): InitializeResult => {
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    const root = folder ? fileURLToPath(folder) : process.cwd();
    if (!store) {
      const fromStore = new StoreLiveStats(join(root, DEFAULT_STORE_PATH));
      connection.console.info(
        fromStore.available
          ? `fox: numbers of past runs from ${DEFAULT_STORE_PATH}`
          : `fox: no ${DEFAULT_STORE_PATH} (the store is not available); live numbers come from the editor's profiler`,
      );
      store = fromStore;
    }
    live = new LayeredLiveStats([feed, store]);
    lensRefreshSupported = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    const analyzer = (options.createAnalyzer ?? ((r: string) => FoxAnalyzer.fromDirectory(r)))(
      root,
    );
    refreshSupported = params.capabilities.workspace?.diagnostics?.refreshSupport === true;
    resolveSupported =
      params.capabilities.textDocument?.codeAction?.resolveSupport?.properties.includes('edit') ===
      true;
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
        // Task fixes are resolved when picked: the project-wide caller search runs only then.
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix], resolveProvider: true },
        // fox.showTask is the client's (it opens the profiler view); the server runs fox.runAs.
        executeCommandProvider: { commands: [COMMANDS.runAs] },
      },
      serverInfo: { name: 'fox-language-server', version: '0.1.0' },
    };
  });

  /** Why a picked task fix turned out unsafe, by uri and function id (shown in the hover). */
  const declinedFixes = new Map<string, string>();

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
    // Any edit may change a caller: a declined fix is judged again when picked again.
    declinedFixes.clear();
  });
  connection.onDidCloseTextDocument(({ textDocument: d }) => {
    texts.delete(d.uri);
    docs().close(d.uri);
    evidence.forget(d.uri);
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
    const resultId = `${docs().version(uri)}:${now.complete ? 'all' : 'syntax'}:${liveVersion}`;
    if (params.previousResultId === resultId) {
      return { kind: DocumentDiagnosticReportKind.Unchanged, resultId };
    }
    return {
      kind: DocumentDiagnosticReportKind.Full,
      resultId,
      items: measured(uri, now).map(toDiagnostic),
    };
  });

  /** The current findings merged with the live / stored evidence (runtime rules included). */
  const measured = (
    uri: string,
    now: { syntax: FileAnalysis; findings: Finding[] },
  ): MeasuredFinding[] =>
    evidence.merge(
      uri,
      docs().version(uri) ?? 0,
      now.syntax,
      docs().text(uri) ?? '',
      now.findings,
      docs().analyzer.configFor(docs().analyzer.rootOf(now.syntax.path)).rules,
    );

  // ---- the live feed: validate, keep, refresh lenses and diagnostics (at most once per interval)
  let lastSource: string | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let lastRefresh = 0;
  const refreshViews = (): void => {
    refreshTimer = undefined;
    lastRefresh = Date.now();
    if (lensRefreshSupported) void connection.sendRequest('workspace/codeLens/refresh');
    if (refreshSupported) void connection.languages.diagnostics.refresh();
  };
  connection.onNotification(LIVE_STATS_METHOD, (raw: unknown) => {
    const parsed = LiveStatsParamsSchema.safeParse(raw);
    if (!parsed.success) {
      connection.console.warn(
        `fox: ignored a ${LIVE_STATS_METHOD} push: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
      return;
    }
    if (parsed.data.source.label !== lastSource) {
      lastSource = parsed.data.source.label;
      connection.console.info(`fox: live numbers ${lastSource}`);
    }
    const changed = feed.update(parsed.data);
    if (changed.length === 0 && !parsed.data.functions?.length) return;
    liveVersion++;
    if (refreshTimer) return;
    const wait = Math.max(0, lastRefresh + (options.liveRefreshMs ?? 1000) - Date.now());
    refreshTimer = setTimeout(refreshViews, wait);
  });

  connection.onHover(({ textDocument, position }): Hover | null => {
    const fn = current(textDocument.uri)?.syntax.functions.find((f) =>
      contains(f.range, position.line, position.character),
    );
    if (!fn) return null;
    const now = current(textDocument.uri);
    const mine = now ? measured(textDocument.uri, now).filter((f) => f.functionId === fn.id) : [];
    const extra = evidenceHover(fn, fn.task ? live?.forTask(fn.id) : undefined, mine, COMMANDS);
    const unavailable =
      now?.findings.find((f) => f.functionId === fn.id && f.fixUnavailable)?.fixUnavailable ??
      declinedFixes.get(`${textDocument.uri}#${fn.id}`);
    return {
      contents: {
        kind: 'markdown',
        value: [hoverText(fn, live), ...extra, ...fixUnavailableText(unavailable)].join('\n'),
      },
      range: fn.range,
    };
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
        const running = stats?.running && runningLens(fn.id, measured(textDocument.uri, now));
        if (running) {
          lenses.push({
            range,
            command: { title: running, command: COMMANDS.showTask, arguments: [fn.id] },
          });
        }
      } else if (
        fn.kind === 'cpu' &&
        !fn.handler?.inline &&
        // No lens for a wrap the finding already says is unsafe (the hover says why).
        !now.findings.some((f) => f.functionId === fn.id && f.fixUnavailable)
      ) {
        // An inline handler has no "Run as" fix (see FOX001): no lens that would do nothing.
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
    const uri = textDocument.uri;
    for (const m of measured(uri, now)) {
      if (!overlaps(m.range, range)) continue;
      const f = {
        ...m,
        fixes: evidence.fixes(uri, docs().version(uri) ?? 0, now.syntax, docs().text(uri) ?? '', m),
      };
      const diagnostic = toDiagnostic(f);
      const matches = context.diagnostics.filter(
        (d) => d.code === f.rule && d.range.start.line === f.range.start.line,
      );
      f.fixes.forEach((fix, i) => {
        const data: FixActionData = { uri, rule: f.rule, start: f.range.start, title: fix.title };
        // A client without resolve support gets the resolved edit now, or no action.
        const eager =
          fix.resolve && !resolveSupported
            ? resolveForEditor(uri, f.functionId, (a) => a.resolveFix(f, fix))
            : undefined;
        if (eager && 'unavailable' in eager) return;
        actions.push({
          title: `${fix.title} (${f.rule})`,
          kind: CodeActionKind.QuickFix,
          diagnostics: matches.length ? matches : [diagnostic],
          isPreferred: i === 0,
          ...(eager
            ? { edit: eager }
            : fix.resolve
              ? { data }
              : { edit: { changes: { [pathToFileURL(fix.path).href]: fix.edits } } }),
        });
      });
    }
    return actions;
  });

  /**
   * Resolves a task fix against the project with every open document's unsaved text: the
   * WorkspaceEdit across files, or the reason it cannot be applied (remembered for the hover).
   */
  const resolveForEditor = (
    uri: string,
    functionId: string | undefined,
    resolve: (analyzer: FoxAnalyzer) => ResolvedFix,
  ): { changes: Record<string, TextEdit[]> } | { unavailable: string } => {
    const analyzer = docs().analyzer;
    for (const [openUri, doc] of texts) analyzer.setFileText(fileURLToPath(openUri), doc.getText());
    const resolved = resolve(analyzer);
    if ('unavailable' in resolved) {
      declinedFixes.set(`${uri}#${functionId ?? ''}`, resolved.unavailable);
      return resolved;
    }
    return {
      changes: Object.fromEntries(resolved.edits.map((e) => [pathToFileURL(e.path).href, e.edits])),
    };
  };

  connection.onCodeActionResolve((action): CodeAction => {
    const data = action.data as FixActionData | undefined;
    if (!data || action.edit) return action;
    const now = current(data.uri);
    const finding = now?.findings.find(
      (f) =>
        f.rule === data.rule &&
        f.range.start.line === data.start.line &&
        f.range.start.character === data.start.character,
    );
    const fix = finding?.fixes.find((x) => x.title === data.title);
    if (!finding || !fix) return action;
    const resolved = resolveForEditor(data.uri, finding.functionId, (a) =>
      a.resolveFix(finding, fix),
    );
    if ('unavailable' in resolved) {
      void connection.window.showWarningMessage(
        `Fox: not applying "${fix.title}": ${resolved.unavailable}.`,
      );
      return action;
    }
    return { ...action, edit: resolved };
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
    const offer = unit ? offerTaskFix(ctx, unit, mode) : undefined;
    if (!offer) return null;
    const resolved =
      'fix' in offer && offer.fix.resolve
        ? resolveForEditor(uri, id, (a) => resolveTaskFix(a, path, offer.fix.resolve!))
        : { unavailable: 'unavailable' in offer ? offer.unavailable : 'nothing to wrap' };
    if ('unavailable' in resolved) {
      void connection.window.showWarningMessage(
        `Fox: cannot run '${id}' as ${mode}: ${resolved.unavailable}.`,
      );
      return false;
    }
    const result = await connection.workspace.applyEdit({
      label: `Run as ${mode}`,
      edit: resolved,
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
      if (refreshTimer) clearTimeout(refreshTimer);
      if (store instanceof StoreLiveStats) store.close();
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
    ...(fn.handler ? ['', `Handler: ${fn.handler.kind} \`${fn.handler.label}\``] : []),
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
    lines.push(
      '',
      stats
        ? `${stats.source ? `Measured (${stats.source})` : 'Live'}: ${formatLiveStats(stats)}`
        : 'Live: no data yet',
    );
  }
  return lines.join('\n');
}
