import type { ConcreteMode } from '../../protocol/modes.js';
import type { Shape } from './auto-state.js';
import type { WindowEvidence } from './evidence-window.js';
import type { AutoEvidence } from './proposals.js';

/** What a proposal says: the evidence it carries, and its reason in words. */

/** The calls' shape a proposal was made on (none for a static hint). */
export function shapeOf(e: Partial<Shape>): Shape | undefined {
  const { syncMs, wallMs, fanOut } = e;
  return syncMs === undefined || wallMs === undefined || fanOut === undefined
    ? undefined
    : { syncMs, wallMs, fanOut };
}

/** A window's evidence as a proposal carries it (`loopBusy`: the unhooked measure, if any). */
export function evidenceOf(e: WindowEvidence, loopBusy: number): AutoEvidence {
  return {
    source: 'runtime',
    syncMs: e.syncMs,
    busyMs: e.busyMs,
    longestMs: e.longestMs,
    wallMs: e.wallMs,
    ioShare: e.ioShare,
    workerWaitShare: e.workerWaitShare,
    fanOut: e.fanOut,
    loopShare: e.loopShare,
    loopBusy,
    calls: e.calls,
  };
}

/** Why auto proposes `to`, in words (the proposal's reason). */
export function reasonFor(to: ConcreteMode, e: AutoEvidence): string {
  const f = (n: number | undefined) => (n ?? 0).toFixed(3);
  switch (to) {
    case 'tfox':
      return `calls hold the event loop up to ${f(e.longestMs)} ms at a time (${f(e.busyMs)} ms in all, median): move them to worker threads`;
    case 'mfox':
      return `calls wait on I/O ${Math.round((e.ioShare ?? 0) * 100)}% of the time with ${e.fanOut} in flight: bound them in an I/O lane`;
    default:
      return `calls are light (${f(e.busyMs)} ms on the loop, ${f(e.wallMs)} ms wall): run them directly`;
  }
}
