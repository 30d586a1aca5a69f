import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../src/clock/clock.js';
import type { Attempt } from '../../src/modes/strategy.js';
import {
  buildPolicies,
  type PolicyChain,
  type PolicyOptionsInput,
} from '../../src/policies/index.js';
import { Call } from '../../src/task/call.js';

export interface FakeClock extends Clock {
  /** Advances time, running due timers and the microtasks between them. */
  tick(ms: number): Promise<void>;
  timers(): number;
  readonly fake: FakeTimers.Clock;
}

/** A Clock on @sinonjs/fake-timers, starting at `start` ms. */
export function fakeClock(start = 1_000): FakeClock {
  const fake = FakeTimers.createClock(start);
  return {
    fake,
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms) as unknown as { unref?(): unknown },
    clearTimeout: (h) => fake.clearTimeout(h as unknown as FakeTimers.TimerId),
    tick: async (ms) => {
      await fake.tickAsync(ms);
    },
    timers: () => fake.countTimers(),
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
