import type { SpanRecord } from '@fox/sdk/protocol';
import type { TimelineSpan } from './view.js';

/** Calls of the selected task shown at most. */
export const TIMELINE_ROOTS = 25;
/** Rows shown at most (roots and their children). */
export const TIMELINE_MAX = 400;

/**
 * The recent calls of one task with their nested children (any task), depth-first in start
 * order: what the timeline draws. `spans` is a window of one process's sampled spans.
 */
export function buildTimeline(spans: readonly SpanRecord[], taskId: string): TimelineSpan[] {
  const roots = spans.filter((s) => s.taskId === taskId).slice(-TIMELINE_ROOTS);
  const children = new Map<string, SpanRecord[]>();
  for (const s of spans) {
    if (s.parentRunId === null) continue;
    const list = children.get(s.parentRunId);
    if (list) list.push(s);
    else children.set(s.parentRunId, [s]);
  }
  const out: TimelineSpan[] = [];
  const seen = new Set<string>();
  const visit = (s: SpanRecord, depth: number): void => {
    // A span can be a root and someone's child (a task calling itself); draw it once.
    if (out.length >= TIMELINE_MAX || depth > 16 || seen.has(s.runId)) return;
    seen.add(s.runId);
    out.push({ ...s, depth });
    const kids = children.get(s.runId);
    if (kids) for (const k of [...kids].sort((a, b) => a.start - b.start)) visit(k, depth + 1);
  };
  for (const r of [...roots].sort((a, b) => a.start - b.start)) visit(r, 0);
  return out;
}
