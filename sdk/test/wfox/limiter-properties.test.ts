import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FoxAbortedError, FoxRejectedError, isFoxError } from '../../src/errors/errors.js';
import { AdaptiveLimiter, LimiterToken, type LimiterOptions } from '../../src/modes/wfox/index.js';
import { seededRandom } from '../support/limiter-simulation.js';
import { fakeClock, flush } from './fake-clock.js';

type Command =
  | { kind: 'acquire'; priority: number; cancellable: boolean }
  | { kind: 'release'; pick: number; outcome: 'success' | 'dropped' | 'ignore' }
  | { kind: 'abort'; pick: number }
  | { kind: 'limit'; value: number }
  | { kind: 'advance'; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('acquire' as const),
    priority: fc.integer({ min: -1, max: 2 }),
    cancellable: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('release' as const),
    pick: fc.nat(),
    outcome: fc.constantFrom('success' as const, 'dropped' as const, 'ignore' as const),
  }),
  fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('limit' as const), value: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 80 }) }),
);

interface Entry {
  seq: number;
  priority: number;
  ctrl: AbortController | undefined;
  state: 'queued' | 'admitted' | 'released' | 'rejected';
  token?: LimiterToken;
  error?: unknown;
}

const setup = fc.record({
  algorithm: fc.constantFrom(
    'fixed' as const,
    'aimd' as const,
    'gradient' as const,
    'vegas' as const,
  ),
  queue: fc.integer({ min: 0, max: 5 }),
  queueTimeout: fc.option(fc.integer({ min: 1, max: 150 }), { nil: undefined }),
  seed: fc.nat(),
});

describe('wfox AdaptiveLimiter properties', () => {
  it('never admits over the limit in force, never overfills the queue, serves by priority then FIFO', async () => {
    await fc.assert(
      fc.asyncProperty(setup, fc.array(command, { maxLength: 80 }), async (s, commands) => {
        const clock = fakeClock();
        const options: LimiterOptions = {
          algorithm: s.algorithm,
          initial: 2,
          max: 8,
          queue: s.queue,
          queueTimeout: s.queueTimeout,
          gradient: { window: 10, minSamples: 2, probeSamples: 3, probeInterval: 200 },
          vegas: { window: 10, minSamples: 2, probeSamples: 3, probeInterval: 200 },
          aimd: { timeout: 40 },
        };
        const l = new AdaptiveLimiter(options, { clock, random: seededRandom(s.seed) });
        const entries: Entry[] = [];
        let admittedNow: Entry[] = [];
        const live = (state: Entry['state']) => entries.filter((e) => e.state === state);

        for (const c of commands) {
          const queuedBefore = live('queued');
          switch (c.kind) {
            case 'acquire': {
              const ctrl = c.cancellable ? new AbortController() : undefined;
              const e: Entry = { seq: entries.length, priority: c.priority, ctrl, state: 'queued' };
              entries.push(e);
              const t = l.acquire(c.priority, ctrl?.signal);
              if (t instanceof LimiterToken) {
                assert.equal(queuedBefore.length, 0, 'fast path only with an empty queue');
                assert.ok(t.inFlightAtAdmission <= l.limit, 'fast path over the limit');
                e.state = 'admitted';
                e.token = t;
              } else {
                t.then(
                  (token) => {
                    e.state = 'admitted';
                    e.token = token;
                    admittedNow.push(e);
                  },
                  (err: unknown) => {
                    e.state = 'rejected';
                    e.error = err;
                  },
                );
              }
              break;
            }
            case 'release': {
              const running = live('admitted');
              const e = running[c.pick % Math.max(1, running.length)];
              if (e) {
                e.state = 'released';
                e.token!.release(c.outcome);
              }
              break;
            }
            case 'abort': {
              const cancellable = entries.filter((e) => e.ctrl && !e.ctrl.signal.aborted);
              cancellable[c.pick % Math.max(1, cancellable.length)]?.ctrl!.abort('bye');
              break;
            }
            case 'limit':
              l.configure({ initial: c.value });
              break;
            case 'advance':
              clock.tick(c.ms);
              break;
          }
          // The limit in force when this command admitted anyone: admission happens last.
          const limit = l.limit;
          admittedNow = [];
          await flush();
          for (const e of admittedNow) {
            assert.ok(
              e.token!.inFlightAtAdmission <= limit,
              `admitted at in-flight ${e.token!.inFlightAtAdmission} over limit ${limit}`,
            );
          }
          // Whoever was admitted now must be the best of those waiting: priority, then age.
          const expected = queuedBefore
            .filter((e) => e.state !== 'rejected')
            .sort((a, b) => b.priority - a.priority || a.seq - b.seq)
            .slice(0, admittedNow.length);
          assert.deepEqual(
            admittedNow.map((e) => e.seq),
            expected.map((e) => e.seq),
          );
          for (const e of live('rejected')) {
            assert.ok(e.error instanceof FoxRejectedError || e.error instanceof FoxAbortedError);
          }
          assert.ok(l.queued <= s.queue, 'queue over its bound');
          assert.equal(l.queued, live('queued').length);
          assert.equal(l.inFlight, live('admitted').length);
        }
        l.close();
        await flush();
        assert.equal(live('queued').length, 0);
        for (const e of live('rejected')) assert.ok(isFoxError(e.error));
      }),
      { numRuns: 300, seed: 20261123 },
    );
  });
});
