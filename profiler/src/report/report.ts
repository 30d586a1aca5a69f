import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ulid } from 'ulid';
import type { ServerToUi, UiState } from '../live/view.js';
import { loadUiAssets, type UiAssets } from '../server/ui-assets.js';
import { useProfilerStore } from '../storage/profiler-schema.js';
import { openStore } from '../storage/store-adapter.js';
import { storedRunMessages } from './stored-run.js';

/** Where reports go by default, relative to the working directory. */
export const DEFAULT_REPORTS_DIR = '.fox/reports';

/** What a report shows: the final state and the timelines of its tasks. */
export interface ReportSource {
  state(): UiState;
  timeline(processId: string, taskId: string): ServerToUi;
}

/**
 * A self-contained HTML page (UI bundle, styles and data inline; no network): the same UI as
 * the live page, frozen at the end of the run, with every task's timeline selectable.
 */
export function renderReport(
  messages: readonly ServerToUi[],
  assets: UiAssets,
  title = 'Fox profile',
): string {
  // `</script` inside inline JSON or JS would end the element early.
  const safe = (text: string) => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${assets.css.replace(/<\/style/gi, '<\\/style')}</style>
</head>
<body>
<div id="fox-root"></div>
<script type="application/json" id="fox-report-data">${safe(JSON.stringify(messages))}</script>
<script>${safe(assets.js)}</script>
</body>
</html>
`;
}

/**
 * Writes `<dir>/<ulid>.html` (default dir `.fox/reports`) from a live profiler's in-memory state
 * (its recent history only) and returns its path. With a store, prefer {@link writeStoredReport}.
 */
export async function writeReport(
  source: ReportSource,
  dir = DEFAULT_REPORTS_DIR,
): Promise<string> {
  const state = source.state();
  const messages: ServerToUi[] = [{ type: 'state', state }];
  for (const t of state.tasks) messages.push(source.timeline(t.processId, t.id));
  return writeMessages(messages, dir);
}

/** Thrown by {@link writeStoredReport} when the store holds no such run. */
export class ReportSourceError extends Error {
  readonly code = 'FOX_REPORT_NO_RUN';
  override readonly name = 'ReportSourceError';
}

export interface StoredReportOptions {
  /** The store file a profiler wrote (`.fox/fox.db` by default). */
  storePath: string;
  /** The run (`profiler.sessionId`); default: the latest run in the file. */
  sessionId?: string;
  /** Default `.fox/reports`. */
  dir?: string;
}

/**
 * Writes the HTML report of a run stored in SQLite (by a profiler, now or earlier): its whole
 * history of gauges, task intervals, sampled spans, events and chaos reports, from the file.
 * Returns the report's path; throws {@link ReportSourceError} when the store has no such run.
 *
 * @example
 * const file = await writeStoredReport({ storePath: '.fox/fox.db' }); // the latest run
 */
export async function writeStoredReport(options: StoredReportOptions): Promise<string> {
  const messages = storedReportMessages(options.storePath, options.sessionId);
  return writeMessages(messages, options.dir ?? DEFAULT_REPORTS_DIR);
}

/** The messages a stored run's report replays (see `storedRunMessages`). */
export function storedReportMessages(storePath: string, sessionId?: string): ServerToUi[] {
  const store = openStore({ path: storePath });
  try {
    const messages = storedRunMessages(useProfilerStore(store).sessions, sessionId);
    if (!messages) {
      throw new ReportSourceError(
        sessionId === undefined
          ? `no profiler run is recorded in ${storePath}`
          : `no profiler run ${sessionId} in ${storePath}`,
      );
    }
    return messages;
  } finally {
    store.close();
  }
}

async function writeMessages(messages: ServerToUi[], dir: string): Promise<string> {
  const first = messages[0];
  const at = first?.type === 'state' ? first.state.at : Date.now();
  const html = renderReport(
    messages,
    await loadUiAssets(),
    `Fox profile ${new Date(at).toISOString()}`,
  );
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const file = join(out, `${ulid()}.html`);
  writeFileSync(file, html);
  return file;
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );
}
