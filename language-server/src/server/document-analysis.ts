import { fileURLToPath } from 'node:url';
import { CancellationTokenSource } from 'vscode-languageserver/node.js';
import { AnalysisCancelledError, analyzeSourceFile, parseSource } from '../analysis/analyzer.js';
import { toRelative, type FoxAnalyzer } from '../analysis/project.js';
import type { FileAnalysis } from '../analysis/types.js';
import type { ts } from 'ts-morph';

/** Latest analyses of one open document. */
interface DocumentState {
  uri: string;
  path: string;
  version: number;
  text: string;
  /** The parse of `text` at `version` (shared by the syntax rules and the call graph). */
  parsed?: { version: number; sf: ts.SourceFile };
  syntax?: { version: number; result: FileAnalysis };
  types?: { version: number; result: FileAnalysis };
  pending?: { timer: NodeJS.Timeout; source: CancellationTokenSource; done: Promise<void> };
}

export interface DocumentAnalysisOptions {
  /** Quiet time after the last change before the type-aware rules run. */
  debounceMs: number;
  /** Called when type-aware results for a document's current version are ready. */
  onTypesReady(uri: string): void;
  onError(message: string): void;
}

/**
 * Per-document analysis for the server: syntax rules run on demand against the current text
 * (parse only, a few ms); type-aware rules run debounced after the last change, cancellable,
 * against the project with the document's unsaved text.
 */
export class DocumentAnalysis {
  private readonly docs = new Map<string, DocumentState>();

  constructor(
    readonly analyzer: FoxAnalyzer,
    private readonly options: DocumentAnalysisOptions,
  ) {}

  open(uri: string, version: number, text: string): void {
    const doc: DocumentState = { uri, path: fileURLToPath(uri), version, text };
    this.docs.set(uri, doc);
    this.edited(doc);
    this.schedule(uri);
  }

  change(uri: string, version: number, text: string): void {
    const doc = this.docs.get(uri);
    if (!doc) return this.open(uri, version, text);
    doc.version = version;
    doc.text = text;
    this.edited(doc);
    this.schedule(uri);
  }

  close(uri: string): void {
    const doc = this.docs.get(uri);
    if (doc?.pending) this.cancelPending(doc);
    this.docs.delete(uri);
    if (doc) {
      // The project's copy (the saved file, or the last text the types phase set) applies again.
      this.analyzer.callGraph.clearOverlay(doc.path);
      this.staleDependents(doc.path);
    }
  }

  /** The buffer is the call graph's copy of the file; results that used the old one are stale. */
  private edited(doc: DocumentState): void {
    this.analyzer.callGraph.setOverlay(doc.path, () => this.parse(doc));
    this.staleDependents(doc.path);
  }

  /** Other documents whose functions call into `path` are analysed again on the next request. */
  private staleDependents(path: string): void {
    for (const other of this.docs.values()) {
      if (other.path === path) continue;
      const syntaxDeps = other.syntax?.result.dependencies ?? [];
      const typesDeps = other.types?.result.dependencies ?? [];
      if (syntaxDeps.includes(path)) other.syntax = undefined;
      if (typesDeps.includes(path)) {
        other.types = undefined;
        this.schedule(other.uri);
      }
    }
  }

  private parse(doc: DocumentState): ts.SourceFile {
    if (doc.parsed?.version !== doc.version)
      doc.parsed = { version: doc.version, sf: parseSource(doc.path, doc.text) };
    return doc.parsed.sf;
  }

  has(uri: string): boolean {
    return this.docs.has(uri);
  }

  version(uri: string): number | undefined {
    return this.docs.get(uri)?.version;
  }

  text(uri: string): string | undefined {
    return this.docs.get(uri)?.text;
  }

  /** Syntax-rule results for the current text (computed now when stale). */
  syntax(uri: string): FileAnalysis | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    if (doc.syntax?.version !== doc.version) {
      const root = this.analyzer.rootOf(doc.path);
      const result = analyzeSourceFile(this.parse(doc), {
        path: doc.path,
        file: toRelative(doc.path, root),
        config: this.analyzer.configFor(root),
        phase: 'syntax',
        browserTsconfig: this.analyzer.inBrowserTsconfig(doc.path),
        callGraph: this.analyzer.callGraph,
      });
      doc.syntax = { version: doc.version, result };
    }
    return doc.syntax.result;
  }

  /** Type-aware results, only when they are for the current version. */
  types(uri: string): FileAnalysis | undefined {
    const doc = this.docs.get(uri);
    return doc?.types?.version === doc?.version ? doc?.types?.result : undefined;
  }

  /** Resolves when the scheduled type-aware run (if any) has finished or been cancelled. */
  async settled(uri: string): Promise<void> {
    await this.docs.get(uri)?.pending?.done;
  }

  private cancelPending(doc: DocumentState): void {
    if (!doc.pending) return;
    clearTimeout(doc.pending.timer);
    doc.pending.source.cancel();
    doc.pending = undefined;
  }

  private schedule(uri: string): void {
    const doc = this.docs.get(uri);
    if (!doc) return;
    this.cancelPending(doc);
    const source = new CancellationTokenSource();
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const version = doc.version;
    const timer = setTimeout(() => {
      try {
        if (source.token.isCancellationRequested) return;
        this.analyzer.setFileText(doc.path, doc.text);
        const result = this.analyzer.analyzeFile(doc.path, {
          phase: 'types',
          isCancelled: () => source.token.isCancellationRequested || doc.version !== version,
        });
        doc.types = { version, result };
        this.options.onTypesReady(uri);
      } catch (e) {
        if (!(e instanceof AnalysisCancelledError))
          this.options.onError(`fox: type-aware analysis failed: ${String(e)}`);
      } finally {
        if (doc.pending?.source === source) doc.pending = undefined;
        source.dispose();
        finish();
      }
    }, this.options.debounceMs);
    const cancelOnly = source.token.onCancellationRequested(() => finish());
    void done.then(() => cancelOnly.dispose());
    doc.pending = { timer, source, done };
  }

  /** Re-reads configs; cached results are recomputed on the next request. */
  reloadConfig(): void {
    this.analyzer.reloadConfig();
    for (const doc of this.docs.values()) {
      doc.syntax = undefined;
      doc.types = undefined;
      this.schedule(doc.uri);
    }
  }

  dispose(): void {
    for (const doc of this.docs.values()) this.cancelPending(doc);
    this.docs.clear();
  }
}
