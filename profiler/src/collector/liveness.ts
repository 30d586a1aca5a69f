import type { WebSocket } from 'ws';
import type { CollectorLimits, CutCounters } from './limits.js';

interface Talker {
  openedAt: number;
  /** When a frame was last noticed (by a sweep), 0 before the first one. */
  lastAt: number;
  /** A frame arrived since the last sweep. */
  heard: boolean;
}

/**
 * Drops WebSocket connections that have gone silent. Two kinds:
 *
 * - talkers (exporters) must send a first frame within `helloTimeoutMs` and then one at least
 *   every `idleTimeoutMs`. They are not pinged: a program busy on its event loop answers pings
 *   late, while its frames are the liveness signal the sdk already sends every interval.
 * - quiet ones (the UI) may send nothing; they are pinged every `pingIntervalMs` and dropped
 *   when the previous ping (and everything else) went unanswered. Browsers answer pings by
 *   themselves.
 *
 * Frames are noticed with a flag and stamped by a periodic sweep, so a busy connection costs
 * one assignment per frame, not a timer reset. A sweep or ping round that runs late (the
 * profiler's own event loop was stalled, so it could not read what arrived) cuts nobody: the
 * silence was ours.
 */
export class Liveness {
  private readonly talkers = new Map<WebSocket, Talker>();
  private readonly quiet = new Map<WebSocket, { answered: boolean }>();
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private readonly pingTimer: ReturnType<typeof setInterval>;
  private readonly sweepMs: number;
  private lastSweep = Date.now();
  private lastPing = Date.now();

  constructor(
    private readonly limits: CollectorLimits,
    private readonly cut: CutCounters,
  ) {
    const every = Math.min(1000, limits.helloTimeoutMs / 4, limits.idleTimeoutMs / 4);
    this.sweepMs = Math.max(10, Math.floor(every));
    this.sweepTimer = setInterval(() => this.sweep(), this.sweepMs);
    this.sweepTimer.unref();
    this.pingTimer = setInterval(() => this.ping(), limits.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** An exporter-like connection: it must keep sending frames. */
  watchFrames(ws: WebSocket): void {
    const talker: Talker = { openedAt: Date.now(), lastAt: 0, heard: false };
    this.talkers.set(ws, talker);
    ws.on('message', () => void (talker.heard = true));
    ws.once('close', () => this.talkers.delete(ws));
  }

  /** A UI-like connection: it may stay silent but must answer pings. */
  watchPongs(ws: WebSocket): void {
    const entry = { answered: true };
    this.quiet.set(ws, entry);
    const alive = () => void (entry.answered = true);
    ws.on('pong', alive);
    ws.on('message', alive);
    ws.once('close', () => this.quiet.delete(ws));
  }

  close(): void {
    clearInterval(this.sweepTimer);
    clearInterval(this.pingTimer);
  }

  private sweep(): void {
    const now = Date.now();
    const stalled = now - this.lastSweep > 2 * this.sweepMs;
    this.lastSweep = now;
    for (const [ws, t] of this.talkers) {
      if (stalled) {
        // Start every clock again from now: frames may be waiting unread.
        if (t.lastAt === 0) t.openedAt = now;
        else t.lastAt = now;
      } else if (t.heard) {
        t.heard = false;
        t.lastAt = now;
      } else if (t.lastAt === 0 && now - t.openedAt >= this.limits.helloTimeoutMs) {
        this.drop(ws, 'noHello');
      } else if (t.lastAt !== 0 && now - t.lastAt >= this.limits.idleTimeoutMs) {
        this.drop(ws, 'idle');
      }
    }
  }

  private ping(): void {
    const now = Date.now();
    const stalled = now - this.lastPing > 2 * this.limits.pingIntervalMs;
    this.lastPing = now;
    for (const [ws, entry] of this.quiet) {
      if (!entry.answered && !stalled) {
        this.drop(ws, 'noPong');
        continue;
      }
      entry.answered = false;
      try {
        ws.ping();
      } catch {
        // Not open any more: its close event removes it.
      }
    }
  }

  private drop(ws: WebSocket, why: 'noHello' | 'idle' | 'noPong'): void {
    this.talkers.delete(ws);
    this.quiet.delete(ws);
    this.cut[why]++;
    // Not a closing handshake: a silent peer would not answer it either.
    ws.terminate();
  }
}
