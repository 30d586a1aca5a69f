/**
 * The sandbox's clock: a discrete-event scheduler that implements {@link Clock}, so the real
 * policy code runs on simulated time. Time jumps from one timer to the next; between two timers
 * the real event loop turns once, so every promise reaction a timer started (a retry's await, a
 * hedge's race) settles before the next timer fires, exactly as it would in real time.
 *
 * A binary heap (not a sorted array like the test clock) because one replayed interval schedules
 * thousands of timers.
 */
import type { Clock, TimerHandle } from '../clock/clock.js';

interface SimTimer extends TimerHandle {
  due: number;
  seq: number;
  fn: (() => void) | undefined;
}

export class SimulationClock implements Clock {
  private t: number;
  private seq = 0;
  private heap: SimTimer[] = [];

  constructor(
    start = 0,
    private readonly wallStart = 0,
  ) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.wallStart + this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: SimTimer = {
      due: this.t + Math.max(0, Number.isFinite(ms) ? ms : 0),
      seq: this.seq++,
      fn,
      unref: () => timer,
    };
    this.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    // Lazy deletion: a cleared timer stays in the heap and is skipped when it surfaces.
    (handle as SimTimer).fn = undefined;
  }

  /** Timers not yet fired or cleared. */
  pending(): number {
    let n = 0;
    for (const t of this.heap) if (t.fn) n++;
    return n;
  }

  /**
   * Fires timers in due order until none is due by `until` (or none is left), turning the event
   * loop after each. Time ends at `until` when it is finite.
   */
  async run(until = Infinity): Promise<void> {
    await turn();
    for (;;) {
      const top = this.heap[0];
      if (!top || top.due > until) break;
      this.pop();
      const fn = top.fn;
      if (!fn) continue;
      top.fn = undefined;
      this.t = Math.max(this.t, top.due);
      fn();
      await turn();
    }
    if (Number.isFinite(until)) this.t = Math.max(this.t, until);
  }

  private less(a: SimTimer, b: SimTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(x: SimTimer): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
