import { systemClock, type Clock } from '../../clock/clock.js';
import { Emitter, type Disposable, type FoxEvent } from '../../events/emitter.js';
import { RetryPolicy } from '../../policies/retry.js';
import { createEmitters } from '../../policies/policy.js';
import { Call, type Attempt } from '../../task/call.js';
import type { Proposal, ProposalState } from '../proposal.js';
import { fastUlid } from '../ulid.js';
import { summarize, transitionEvents, type GuardianNotification } from './events.js';
import type { NotificationEventName, NotificationsOptions, WebhookOptions } from './options.js';
import { renderPayload } from './payloads.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { WebhookDeliveryError } from './webhook-error.js';
import { WorkerWebhookTransport } from './delivery-worker.js';
import { WebhookAgents, redact, type WebhookTransport } from './webhook-post.js';

/** Counters of one webhook. */
export interface WebhookCounters {
  name: string;
  /** Notifications delivered (a 2xx answer). */
  delivered: number;
  /** Notifications given up on after the retry policy's last attempt (or its budget). */
  failed: number;
  /** Notifications dropped because the queue was full. */
  dropped: number;
  /** Retries made (attempts after the first). */
  retries: number;
}

export interface NotifierStats {
  /** Deliveries waiting to start. */
  queued: number;
  /** Deliveries being attempted (or backing off between attempts). */
  inFlight: number;
  webhooks: WebhookCounters[];
}

/** The outcome of one notification to one webhook. */
export interface DeliveryOutcome {
  webhook: string;
  notification: GuardianNotification;
  ok: boolean;
  attempts: number;
  /** The last failure, when not ok. */
  error?: WebhookDeliveryError;
}

interface Job {
  target: Target;
  notification: GuardianNotification;
}

interface Target {
  options: WebhookOptions;
  name: string;
  events: ReadonlySet<NotificationEventName> | undefined;
  retry: RetryPolicy;
  attempt: Attempt;
  counters: WebhookCounters;
}

export interface NotifierDeps {
  clock?: Clock;
  /** Where failed deliveries are logged (default: a `FoxGuardianWarning` process warning). */
  warn?: (message: string) => void;
}

/** How many proposals' last states are remembered to tell their transitions apart. */
const TRACKED_PROPOSALS = 10_000;

/**
 * Sends the guardian's proposal events to webhooks, off the decision path: the guardian's
 * change listener only works out which events a change is and queues them (no I/O, no
 * rendering); deliveries run later, a few at a time, each through Fox's own {@link RetryPolicy}
 * with its retry budget, so a dead receiver costs a bounded queue and bounded retries and
 * never delays a decision. Failed deliveries are counted and logged.
 *
 * Webhooks are outbound only: the notifier has no endpoint and never reads a response body,
 * so an approval can only come from `fox approvals` or the profiler, never from a receiver.
 */
export class GuardianNotifier {
  private readonly clock: Clock;
  private readonly warn: (message: string) => void;
  private readonly targets: Target[];
  private readonly queue: Job[] = [];
  private head = 0;
  private inFlight = 0;
  private readonly lastState = new Map<string, ProposalState>();
  /** Changes noted during decisions, not yet sorted into deliveries: proposal, time, …. */
  private inbox: (Proposal | number)[] = [];
  private drainScheduled: ReturnType<typeof setImmediate> | undefined;
  private readonly closing = new AbortController();
  private readonly agents: WebhookTransport;
  private readonly delivered = new Emitter<DeliveryOutcome>();
  private idleWaiters: (() => void)[] = [];
  /** Fires after each notification to each webhook is delivered or given up on. */
  readonly onDelivery: FoxEvent<DeliveryOutcome> = this.delivered.event;

  constructor(
    private readonly options: NotificationsOptions,
    deps: NotifierDeps = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.warn = deps.warn ?? ((m) => process.emitWarning(m, 'FoxGuardianWarning'));
    this.agents =
      options.thread === 'worker'
        ? new WorkerWebhookTransport(options.concurrency)
        : new WebhookAgents(options.concurrency);
    this.targets = options.webhooks.map((w, i) => this.target(w as WebhookOptions, i));
  }

  private target(options: WebhookOptions, index: number): Target {
    const name = options.name ?? `${index}:${safeHost(options.url)}`;
    const emitters = createEmitters();
    // Without a filter of the user's, a refusal (4xx) is final: only what can change is retried.
    const retryOn =
      options.retry.retryOn ??
      ((e: unknown) => !(e instanceof WebhookDeliveryError) || e.retryable);
    const retry = new RetryPolicy(
      { ...options.retry, retryOn },
      { taskId: `guardian/webhook/${name}`, clock: this.clock },
      emitters,
    );
    const counters: WebhookCounters = { name, delivered: 0, failed: 0, dropped: 0, retries: 0 };
    emitters.retry.event(() => void counters.retries++);
    const attempt = retry.wrap((call) => this.post(options, call));
    return {
      options,
      name,
      events: options.events ? new Set(options.events) : undefined,
      retry,
      attempt,
      counters,
    };
  }

  /** Watches a guardian's changes (`guardian.onChange`). */
  attach(changes: FoxEvent<Proposal>): Disposable {
    return changes((p) => this.observe(p));
  }

  /**
   * Records a proposal's change. Runs inside the guardian's emit, right after its commit, so it
   * only notes the proposal (an object the guardian made for its listeners and never changes)
   * and when; working out the events, summaries and deliveries waits for the next turn.
   */
  observe(p: Proposal): void {
    if (this.targets.length === 0 || this.closing.signal.aborted) return;
    this.inbox.push(p, this.clock.wallNow());
    this.scheduleDrain();
  }

  /** The inbox's changes as queued deliveries (on the drain's turn). */
  private sortInbox(): void {
    const inbox = this.inbox;
    if (inbox.length === 0) return;
    this.inbox = [];
    for (let i = 0; i < inbox.length; i += 2) {
      this.classify(inbox[i] as Proposal, inbox[i + 1] as number);
    }
  }

  private classify(p: Proposal, at: number): void {
    const previous = this.lastState.get(p.id);
    const events = transitionEvents(previous, p);
    if (previous === undefined && this.lastState.size >= TRACKED_PROPOSALS) {
      // Oldest first (insertion order): long-decided proposals are forgotten first.
      this.lastState.delete(this.lastState.keys().next().value!);
    }
    this.lastState.delete(p.id);
    this.lastState.set(p.id, p.state);
    if (events.length === 0) return;
    const proposal = summarize(p);
    for (const event of events) this.enqueue({ event, proposal }, at);
  }

  /**
   * Announces that an applied change was rolled back (by the tuner's watch window, a person or
   * a chaos abort): sends `proposal.rolled-back` with `detail` saying why.
   */
  rolledBack(p: Proposal, detail: string): void {
    if (this.targets.length === 0) return;
    this.sortInbox();
    this.enqueue(
      { event: 'proposal.rolled-back', proposal: summarize(p), detail },
      this.clock.wallNow(),
    );
    this.scheduleDrain();
  }

  private enqueue(n: Omit<GuardianNotification, 'id' | 'at'>, at: number): void {
    if (this.closing.signal.aborted) return;
    const notification: GuardianNotification = { id: fastUlid(at), at, ...n };
    for (const target of this.targets) {
      if (target.events && !target.events.has(n.event)) continue;
      if (this.queue.length - this.head >= this.options.queueLimit) {
        // Counted every time, logged now and then: a dead receiver must not flood the log.
        if (++target.counters.dropped % 100 === 1)
          this.warn(
            `fox guardian: webhook ${target.name} queue full (${this.options.queueLimit}); ` +
              `dropped ${n.event} for proposal ${n.proposal.id} (${target.counters.dropped} so far)`,
          );
        continue;
      }
      this.queue.push({ target, notification });
    }
  }

  /** Deliveries start on a later turn of the event loop, never inside the decision. */
  private scheduleDrain(): void {
    this.drainScheduled ??= setImmediate(() => {
      this.drainScheduled = undefined;
      this.drain();
    });
  }

  private drain(): void {
    this.sortInbox();
    while (this.inFlight < this.options.concurrency && this.head < this.queue.length) {
      const job = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.inFlight++;
      void this.deliver(job).finally(() => {
        this.inFlight--;
        this.drain();
        this.settleIdle();
      });
    }
    this.settleIdle();
  }

  private async deliver(job: Job): Promise<void> {
    const { target, notification } = job;
    const call = new Call(
      `guardian/webhook/${target.name}`,
      undefined,
      [notification],
      undefined,
      this.closing.signal,
    );
    try {
      await target.attempt(call);
      target.counters.delivered++;
      this.fire({ webhook: target.name, notification, ok: true, attempts: call.attempt });
    } catch (err) {
      target.counters.failed++;
      const error =
        err instanceof WebhookDeliveryError
          ? err
          : new WebhookDeliveryError((err as Error)?.message ?? String(err), undefined, false, {
              cause: err,
            });
      if (!this.closing.signal.aborted) {
        this.warn(
          `fox guardian: webhook ${target.name} failed to deliver ${notification.event} for ` +
            `proposal ${notification.proposal.id} after ${call.attempt} attempt(s): ${error.message}`,
        );
      }
      this.fire({ webhook: target.name, notification, ok: false, attempts: call.attempt, error });
    }
  }

  private fire(outcome: DeliveryOutcome): void {
    if (this.delivered.hasListeners) this.delivered.fire(outcome);
  }

  /** One attempt: rendered and signed afresh, so a late retry carries a current timestamp. */
  private async post(options: WebhookOptions, call: Call): Promise<unknown> {
    const notification = call.args[0] as GuardianNotification;
    const body = JSON.stringify(renderPayload(options.format, notification));
    const headers: Record<string, string> = {
      ...options.headers,
      'content-type': 'application/json',
      'user-agent': 'fox-guardian-webhook/1',
      'fox-event': notification.event,
      'fox-delivery': notification.id,
      'fox-attempt': String(call.attempt),
    };
    if (options.secret) {
      const t = Math.floor(this.clock.wallNow() / 1000);
      headers[SIGNATURE_HEADER] = signatureHeader(options.secret, body, t);
    }
    return this.agents.post(
      { url: options.url, body, headers, timeoutMs: options.timeoutMs },
      this.clock,
      this.closing.signal,
    );
  }

  stats(): NotifierStats {
    return {
      queued: this.queue.length - this.head,
      inFlight: this.inFlight,
      webhooks: this.targets.map((t) => ({ ...t.counters })),
    };
  }

  /** Resolves once nothing is queued or in flight (tests, and a graceful shutdown). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return (
      this.inFlight === 0 &&
      this.head >= this.queue.length &&
      this.inbox.length === 0 &&
      !this.drainScheduled
    );
  }

  private settleIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Stops: queued deliveries are dropped, attempts in flight and backoffs are cancelled. */
  close(): void {
    if (this.closing.signal.aborted) return;
    const undelivered = this.queue.length - this.head + this.inbox.length / 2 + this.inFlight;
    if (undelivered > 0) {
      // Not retried by anyone after this: say so rather than lose them silently.
      this.warn(`fox guardian: closing with ${undelivered} webhook notification(s) undelivered`);
    }
    this.closing.abort(new Error('notifier closed'));
    if (this.drainScheduled) clearImmediate(this.drainScheduled);
    this.drainScheduled = undefined;
    this.queue.length = 0;
    this.head = 0;
    this.inbox = [];
    for (const t of this.targets) t.retry.dispose();
    this.agents.destroy();
    this.settleIdle();
    this.delivered.clear();
  }
}

function safeHost(url: string): string {
  return redact(url)
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/….*$/, '');
}
