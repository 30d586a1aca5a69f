/**
 * What every resilience policy shares: a live, validated config (`configure` re-validates with
 * the same zod schema as the decorator, so the tuner and the guardian change parameters exactly
 * the way a user does), typed disposable events, and `wrap`, which is called once per task and
 * returns the per-call hot path.
 */
import type { z } from 'zod';
import type { Clock } from '../clock/clock.js';
import { FoxConfigError } from '../errors/errors.js';
import { parseOptions } from '../errors/parse-options.js';
import { Emitter, type FoxEvent } from '../events/emitter.js';
import { Call, type Attempt } from '../task/call.js';
import { POLICY_SCHEMAS, type PolicyKind, type PolicyOptions } from './options.js';

/** What a task gives its policies. */
export interface PolicyContext {
  taskId: string;
  clock: Clock;
  /** The task's live latency percentile in ms (p in 0..100); undefined without data. */
  latencyPercentile?: (p: number) => number | undefined;
  /** Source of randomness for jitter; tests inject a seeded one. Default `Math.random`. */
  random?: () => number;
  /**
   * @internal Fuse retry with the breaker below it on the hot path (default true). Tests turn
   * it off to trace the plain composition.
   */
  fuse?: boolean;
}

// ── events ──────────────────────────────────────────────────────────────────────────────────

export interface RetryEvent {
  taskId: string;
  /** The attempt about to start (2 for the first retry). */
  attempt: number;
  /** Backoff before it, ms. */
  delay: number;
  error: unknown;
}
export interface GiveUpEvent {
  taskId: string;
  /** Attempts made. */
  attempts: number;
  reason: 'attempts' | 'predicate' | 'budget' | 'aborted';
  error: unknown;
}
export interface BreakEvent {
  taskId: string;
  reason:
    'consecutive' | 'failureRate' | 'slowCallRate' | 'halfOpenFailure' | 'isolated' | 'restored';
  /** The rates that tripped a window breaker (0..1). */
  failureRate?: number;
  slowCallRate?: number;
}
export interface HalfOpenEvent {
  taskId: string;
}
export interface ResetEvent {
  taskId: string;
  reason: 'halfOpenSuccess' | 'manual' | 'restored';
}
export interface TimeoutEvent {
  taskId: string;
  ms: number;
  cancel: 'cooperative' | 'abandon';
  attempt: number;
}
export interface RejectEvent {
  taskId: string;
  policy: 'breaker' | 'bulkhead' | 'rateLimit';
  reason: 'open' | 'halfOpenFull' | 'isolated' | 'full' | 'rate' | 'maxWait';
}
export interface HedgeEvent {
  taskId: string;
  /** 1 for the first extra attempt. */
  hedge: number;
  afterMs: number;
}
export interface CacheHitEvent {
  taskId: string;
  key: string;
  /** The tier that answered: L1 memory, L2 SQLite (or a user's `l2`), L3 Redis. */
  level: 'l1' | 'l2' | 'l3';
  stale: boolean;
}
export interface CacheMissEvent {
  taskId: string;
  key: string;
  /** True when the call joined an identical call already in flight. */
  coalesced: boolean;
}
export interface FallbackEvent {
  taskId: string;
  error: unknown;
}

export interface PolicyEventMap {
  retry: RetryEvent;
  giveUp: GiveUpEvent;
  break: BreakEvent;
  halfOpen: HalfOpenEvent;
  reset: ResetEvent;
  timeout: TimeoutEvent;
  reject: RejectEvent;
  hedge: HedgeEvent;
  cacheHit: CacheHitEvent;
  cacheMiss: CacheMissEvent;
  fallback: FallbackEvent;
}
export type PolicyEventName = keyof PolicyEventMap;
export const POLICY_EVENT_NAMES: readonly PolicyEventName[] = [
  'retry',
  'giveUp',
  'break',
  'halfOpen',
  'reset',
  'timeout',
  'reject',
  'hedge',
  'cacheHit',
  'cacheMiss',
  'fallback',
];

/** Subscribable events, one per name; each subscription returns a Disposable. */
export type PolicyEvents = { readonly [K in PolicyEventName]: FoxEvent<PolicyEventMap[K]> };

/** The events each kind of policy fires. */
export const EVENTS_OF = {
  timeout: ['timeout'],
  retry: ['retry', 'giveUp'],
  breaker: ['break', 'halfOpen', 'reset', 'reject'],
  bulkhead: ['reject'],
  fallback: ['fallback'],
  rateLimit: ['reject'],
  hedge: ['hedge'],
  cache: ['cacheHit', 'cacheMiss'],
} as const satisfies Record<PolicyKind, readonly PolicyEventName[]>;

/** The events of one policy (e.g. `breaker.events.break(...)`). */
export type PolicyOwnEvents<K extends PolicyKind> = Pick<
  PolicyEvents,
  (typeof EVENTS_OF)[K][number]
>;

/** The emitters a chain shares with its policies, so one subscription sees every policy. */
export type PolicyEmitters = { readonly [K in PolicyEventName]: Emitter<PolicyEventMap[K]> };

export function createEmitters(): PolicyEmitters {
  const out = {} as Record<PolicyEventName, Emitter<unknown>>;
  for (const name of POLICY_EVENT_NAMES) out[name] = new Emitter();
  return out as unknown as PolicyEmitters;
}

export function eventsOf(emitters: PolicyEmitters): PolicyEvents {
  const out = {} as Record<PolicyEventName, FoxEvent<unknown>>;
  for (const name of POLICY_EVENT_NAMES) out[name] = emitters[name].event as FoxEvent<unknown>;
  return out as unknown as PolicyEvents;
}

// ── policy ──────────────────────────────────────────────────────────────────────────────────

/** The normalized config of a policy kind (what `policy.config` holds). */
export type ConfigOf<K extends PolicyKind> = NonNullable<PolicyOptions[K]>;

/** One resilience policy of a task. */
export interface Policy<K extends PolicyKind = PolicyKind> {
  readonly kind: K;
  /** Same as `kind`; what `fox.tasks()` lists. */
  readonly name: K;
  /** The live config (normalized: shorthands expanded, durations in ms, defaults filled). */
  readonly config: Readonly<ConfigOf<K>>;
  /**
   * Changes parameters at run time; takes effect on the next call. `partial` is merged into the
   * current config (a key set to `undefined` is removed) and validated with the same schema as
   * the decorator option; on error throws FoxConfigError naming the path, and nothing changes.
   * A shorthand (e.g. `retry.configure(5)`) replaces the config.
   */
  configure(partial: unknown): void;
  /** This policy's own events; each subscription returns a Disposable. */
  readonly events: PolicyOwnEvents<K>;
  /** Wraps the next step in this policy. Called once per task, not per call. */
  wrap(inner: Attempt): Attempt;
  /**
   * The config as plain JSON (functions become `'[function]'`, an L2 store `'[l2]'`), for
   * telemetry, the profiler and proposals.
   */
  describe(): { kind: K; config: Record<string, unknown> };
  dispose(): void;
}

/** A policy of any kind (a union, so `policy.kind` narrows it). */
export type AnyPolicy = { [K in PolicyKind]: Policy<K> }[PolicyKind];

export abstract class PolicyBase<K extends PolicyKind> implements Policy<K> {
  protected cfg: ConfigOf<K>;

  constructor(
    readonly kind: K,
    config: ConfigOf<K>,
    protected readonly ctx: PolicyContext,
    protected readonly emit: PolicyEmitters,
  ) {
    this.cfg = config;
  }

  get name(): K {
    return this.kind;
  }

  get config(): Readonly<ConfigOf<K>> {
    return this.cfg;
  }

  private ownEvents: PolicyOwnEvents<K> | undefined;

  get events(): PolicyOwnEvents<K> {
    if (this.ownEvents) return this.ownEvents;
    const out: Record<string, FoxEvent<never>> = {};
    const kind: string = this.kind;
    for (const name of EVENTS_OF[this.kind] as readonly PolicyEventName[]) {
      if (name === 'reject') {
        // One reject emitter serves breaker, bulkhead and rateLimit: keep only this policy's.
        const reject = this.emit.reject;
        out[name] = ((listener: (e: RejectEvent) => void) =>
          reject.event((e) => {
            if (e.policy === kind) listener(e);
          })) as FoxEvent<never>;
      } else {
        out[name] = this.emit[name].event as FoxEvent<never>;
      }
    }
    return (this.ownEvents = out as unknown as PolicyOwnEvents<K>);
  }

  configure(partial: unknown): void {
    const current = this.cfg as unknown;
    const merged =
      isPlainRecord(partial) && isPlainRecord(current) ? { ...current, ...partial } : partial;
    const schema = POLICY_SCHEMAS[this.kind] as z.ZodType<ConfigOf<K>>;
    const next = parseOrThrow(schema, merged, [this.kind], this.ctx.taskId);
    if (next === undefined)
      throw new FoxConfigError([this.kind], 'must not be undefined', this.ctx.taskId);
    const previous = this.cfg;
    this.cfg = next;
    this.configured(previous);
  }

  /** Hook for policies whose state depends on the config (window sizes, caches). */
  protected configured(_previous: ConfigOf<K>): void {}

  abstract wrap(inner: Attempt): Attempt;

  describe(): { kind: K; config: Record<string, unknown> } {
    return { kind: this.kind, config: jsonSafe(this.cfg) as Record<string, unknown> };
  }

  dispose(): void {}
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === 'function') return '[function]';
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (isPlainRecord(value)) {
    if (Object.getPrototypeOf(value) !== Object.prototype) return '[l2]';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses with `schema`, turning the first issue into a FoxConfigError under `prefix`. */
export function parseOrThrow<T>(
  schema: z.ZodType<T>,
  value: unknown,
  prefix: readonly (string | number)[],
  taskId: string | undefined,
): T {
  return parseOptions(schema, value, prefix, taskId);
}

/**
 * A fresh Call for another attempt of the same call (a hedge, or a retry after a cooperative
 * timeout aborted the previous attempt's signal). It shares task, `this`, arguments, parent and
 * the caller's signal, but has its own AbortController, so aborting it leaves the others alone.
 * The run id is not shared (Call keeps it private); spans see it as a sibling attempt.
 */
export function forkCall(call: Call): Call {
  const fork = new Call(call.taskId, call.self, call.args, call.parent, call.callerSignal);
  fork.attempt = call.attempt;
  fork.priority = call.priority;
  return fork;
}

/** Errors that say nothing about the dependency's health: the caller gave up, or we refused. */
export function isLocalRefusal(code: string | undefined): boolean {
  return (
    code === 'FOX_ABORTED' ||
    code === 'FOX_BULKHEAD_REJECTED' ||
    code === 'FOX_RATE_LIMITED' ||
    code === 'FOX_SHUTDOWN' ||
    code === 'FOX_VALIDATION' ||
    code === 'FOX_CONFIG'
  );
}

/** Builds an error filter from the `retryOn` / `on` option. */
export function errorFilter(
  option: ((error: unknown) => boolean) | readonly string[] | undefined,
  fallback: (error: unknown, code: string | undefined) => boolean,
  codeOf: (error: unknown) => string | undefined,
): (error: unknown) => boolean {
  if (option === undefined) return (e) => fallback(e, codeOf(e));
  if (typeof option === 'function') return option;
  const codes = new Set(option);
  return (e) => {
    const c = codeOf(e);
    return c !== undefined && codes.has(c);
  };
}
