/**
 * Deadlines for many calls on one timer. A policy's calls mostly share one duration (its
 * timeout, its hedge delay), so deadlines arrive in order and insertion is O(1) at the tail;
 * removal on settle is O(1) (doubly linked). One `setTimeout` is armed for the earliest deadline;
 * when it fires it expires what is due and re-arms for the new head. A call that settles before
 * its deadline costs one object and two pointer swaps — no timer of its own, no clearTimeout.
 *
 * This is the "timer per deadline bucket" idea reduced to its cheapest form: calls finishing in
 * time cause about one timer per `ms` interval in total, whatever the call rate.
 */
import type { Clock, TimerHandle } from '../clock/clock.js';

export abstract class DeadlineEntry {
  deadline = 0;
  prev: DeadlineEntry | null = null;
  next: DeadlineEntry | null = null;
  queued = false;
  /** Called once when the deadline passes while the entry is still queued. */
  abstract expire(): void;
}

export class DeadlineQueue {
  private head: DeadlineEntry | null = null;
  private tail: DeadlineEntry | null = null;
  private timer: TimerHandle | undefined;
  private armedFor = Infinity;
  private size_ = 0;

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.size_;
  }

  add(entry: DeadlineEntry, deadline: number): void {
    entry.deadline = deadline;
    entry.queued = true;
    this.size_++;
    let after = this.tail;
    // Deadlines only go out of order when the duration was lowered at run time.
    while (after !== null && after.deadline > deadline) after = after.prev;
    if (after === null) {
      entry.prev = null;
      entry.next = this.head;
      if (this.head) this.head.prev = entry;
      else this.tail = entry;
      this.head = entry;
      if (deadline < this.armedFor) this.arm(deadline);
    } else {
      entry.prev = after;
      entry.next = after.next;
      if (after.next) after.next.prev = entry;
      else this.tail = entry;
      after.next = entry;
    }
  }

  remove(entry: DeadlineEntry): void {
    if (!entry.queued) return;
    entry.queued = false;
    this.size_--;
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else this.head = next;
    if (next) next.prev = prev;
    else this.tail = prev;
    entry.prev = entry.next = null;
    // The armed timer is left alone: if it fires early it re-arms for the new head. Clearing
    // and re-arming on every settle would cost a timer per call.
  }

  private arm(deadline: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.armedFor = deadline;
    const delay = Math.max(0, deadline - this.clock.now());
    const t = this.clock.setTimeout(this.fire, Math.ceil(delay));
    t.unref?.();
    this.timer = t;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.clock.now();
    let e = this.head;
    while (e !== null && e.deadline <= now) {
      this.remove(e);
      try {
        e.expire();
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
      e = this.head;
    }
    if (e !== null) this.arm(e.deadline);
  };

  /** Drops every entry without expiring it and stops the timer. */
  clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    let e = this.head;
    while (e !== null) {
      const next = e.next;
      e.queued = false;
      e.prev = e.next = null;
      e = next;
    }
    this.head = this.tail = null;
    this.size_ = 0;
  }
}
