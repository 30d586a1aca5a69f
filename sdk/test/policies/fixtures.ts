import type { Clock } from '../../src/clock/clock.js';
import type { Attempt } from '../../src/modes/strategy.js';
import {
  buildPolicies,
  type PolicyChain,
  type PolicyOptionsInput,
} from '../../src/policies/index.js';
import { Call } from '../../src/task/call.js';
import {
  createFakeClock,
  type FakeClock as PublishedFakeClock,
} from '../../src/testing/fake-clock.js';

export interface FakeClock extends Clock {
  /** Advances time, running due timers and the microtasks between them. */
  tick(ms: number): Promise<void>;
  timers(): number;
  /** The published fake clock underneath (`@fox/sdk/testing`), for synchronous ticks. */
  readonly fake: PublishedFakeClock;
}

/** The published fake clock, starting at `start` ms, with the async tick these tests await. */
export function fakeClock(start = 1_000): FakeClock {
  const fake = createFakeClock({ now: start });
  return {
    fake,
    now: fake.now,
    wallNow: fake.wallNow,
    setTimeout: fake.setTimeout,
    clearTimeout: fake.clearTimeout,
    tick: (ms) => fake.tickAsync(ms),
    timers: () => fake.pendingTimers(),
  };
}

export function makeCall(args: unknown[] = [], signal?: AbortSignal): Call {
  return new Call('test#fn', undefined, args, undefined, signal);
}

export function chain(
  options: PolicyOptionsInput,
  clock: Clock,
  extra: {
    latencyPercentile?: (p: number) => number | undefined;
    random?: () => number;
    fuse?: boolean;
  } = {},
): PolicyChain {
  const c = buildPolicies(options as Record<string, unknown>, {
    taskId: 'test#fn',
    clock,
    ...extra,
  });
  if (!c) throw new Error('no policies');
  return c;
}

/** Settles microtasks (a few turns, for promise chains through several layers). */
export async function flush(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** A promise with its resolve/reject, for attempts the test settles by hand. */
export function deferred<T = unknown>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

/** Captures how a promise settles without leaving a rejection unhandled. */
export function settle<T>(p: Promise<T>): {
  state: () => 'pending' | 'ok' | 'error';
  value: () => unknown;
} {
  let state: 'pending' | 'ok' | 'error' = 'pending';
  let value: unknown;
  p.then(
    (v) => {
      state = 'ok';
      value = v;
    },
    (e: unknown) => {
      state = 'error';
      value = e;
    },
  );
  return { state: () => state, value: () => value };
}

/** An attempt that fails with `error` `failures` times, then returns `value`. */
export function flaky(
  failures: number,
  value: unknown = 'ok',
  error: () => unknown = () => new Error('boom'),
): Attempt & {
  calls: number;
} {
  const f = ((_call: Call) => {
    f.calls++;
    return f.calls <= failures ? Promise.reject(error()) : Promise.resolve(value);
  }) as Attempt & { calls: number };
  f.calls = 0;
  return f;
}

export class CodedError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}
