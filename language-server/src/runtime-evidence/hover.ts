import type { FunctionReport } from '../analysis/types.js';
import type { TaskLiveStats } from '../server/live-stats.js';
import type { MeasuredFinding } from './merge.js';
import { formatDuration } from './suggest.js';

const time = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** "16:40:01–16:42:10 UTC". */
function windowText(w: { from: number; to: number } | undefined): string | undefined {
  return w ? `${time(w.from)}–${time(w.to)} UTC` : undefined;
}

/** A `command:` link for a markdown hover (arguments JSON-encoded, as VS Code expects). */
export function commandLink(title: string, command: string, args: unknown[]): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify(args))})`;
}

/**
 * Hover lines for a function's runtime evidence: where the numbers come from (source, run,
 * window, sample size, quantiles, errors by code), each merged finding's verdict, the running
 * parameters when they differ from the source with the approval behind them, and links to the
 * profiler panel and the task.
 */
export function evidenceHover(
  fn: FunctionReport,
  stats: TaskLiveStats | undefined,
  findings: readonly MeasuredFinding[],
  commands: { showTask: string; openTaskInProfiler: string },
): string[] {
  const lines: string[] = [];
  if (stats) {
    const where = [
      stats.source,
      stats.runId ? `run \`${stats.runId}\`` : undefined,
      windowText(stats.window),
    ].filter(Boolean);
    lines.push(
      '',
      `Evidence ${stats.scope ?? ''}${where.length ? ` (${where.join(', ')})` : ''}: ${stats.calls.toLocaleString('en-US')} calls, ${stats.errors.toLocaleString('en-US')} errors; p50 ${formatDuration(stats.p50)}${stats.p95 !== undefined ? `, p95 ${formatDuration(stats.p95)}` : ''}, p99 ${formatDuration(stats.p99)}`,
    );
    const codes = Object.entries(stats.errorsByCode ?? {});
    if (codes.length)
      lines.push(`- errors by code: ${codes.map(([c, n]) => `\`${c}\` ×${n}`).join(', ')}`);
  }
  for (const f of findings) {
    if (!f.measured) continue;
    const verdict = f.measured.verdict ? ` — ${f.measured.verdict}` : '';
    const w = windowText(f.measured.window);
    lines.push(
      `- **${f.rule}**${verdict}: ${f.measured.summary} (sample ${f.measured.sampleSize.toLocaleString('en-US')}${w ? `, ${w}` : ''}${f.measured.source ? `, ${f.measured.source}` : ''})`,
    );
    if (f.approval) {
      const a = f.approval;
      lines.push(
        `  - approved: ${a.summary}${a.approver ? ` by ${a.approver}` : ''}${a.auditId ? ` (audit entry \`${a.auditId}\`)` : ''}${a.proposalId ? `, proposal \`${a.proposalId}\`` : ''}`,
      );
    }
  }
  if (stats || findings.some((f) => f.measured)) {
    lines.push(
      '',
      `${commandLink('Open in the profiler', commands.openTaskInProfiler, [fn.id])} · ${commandLink('Show task', commands.showTask, [fn.id])}`,
    );
  }
  return lines;
}

/** The code lens over a task whose running parameters differ from the source, if they do. */
export function runningLens(
  functionId: string,
  findings: readonly MeasuredFinding[],
): string | undefined {
  const f = findings.find((x) => x.rule === 'FOX106' && x.functionId === functionId);
  return f ? f.message.replace(/ — .*$/, '') : undefined;
}
