import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ulid } from 'ulid';
import type { ServerToUi, UiState } from '../live/view.js';
import { loadUiAssets, type UiAssets } from '../server/ui-assets.js';

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

/** Writes `<dir>/<ulid>.html` (default dir `.fox/reports`) and returns its path. */
export async function writeReport(source: ReportSource, dir = '.fox/reports'): Promise<string> {
  const state = source.state();
  const messages: ServerToUi[] = [{ type: 'state', state }];
  for (const t of state.tasks) messages.push(source.timeline(t.processId, t.id));
  const html = renderReport(
    messages,
    await loadUiAssets(),
    `Fox profile ${new Date(state.at).toISOString()}`,
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
