import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FoxAbortedError, FoxShutdownError } from '../../src/errors/errors.js';
import { FoxBulkheadRejectedError } from '../../src/policies/index.js';
import { chain, deferred, fakeClock, flush, makeCall, settle } from './fixtures.js';

describe('bulkhead policy', () => {
  it('runs `limit` at once, queues `queue`, rejects the rest with FoxBulkheadRejectedError', async () => {
    const clock = fakeClock();
    const c = chain({ bulkhead: { limit: 2, queue: 1 } }, clock);
    const b = c.get('bulkhead')!;
    const rejects: unknown[] = [];
    c.events.reject((e) => rejects.push(e));
    const gates = [deferred(), deferred(), deferred()];
    let started = 0;
    const run = c.wrap(() => gates[started++]!.promise);
    const r1 = settle(run(makeCall()));
    const r2 = settle(run(makeCall()));
    const r3 = settle(run(makeCall()));
    const r4 = settle(run(makeCall()));
    await flush();
    assert.equal(started, 2);
    assert.equal(b.inFlight, 2);
    assert.equal(b.queued, 1);
    assert.equal(r4.state(), 'error');
    assert.ok(r4.value() instanceof FoxBulkheadRejectedError);
    assert.deepEqual(rejects, [{ taskId: 'test#fn', policy: 'bulkhead', reason: 'full' }]);
    gates[0]!.resolve(1);
    await flush();
    assert.equal(r1.state(), 'ok');
    assert.equal(started, 3);
    assert.equal(b.inFlight, 2);
    gates[1]!.resolve(2);
    gates[2]!.resolve(3);
    await flush();
    assert.deepEqual([r2.value(), r3.value()], [2, 3]);
    assert.equal(b.inFlight, 0);
  });

  it('a queued call whose caller aborts leaves the queue with FoxAbortedError', async () => {
    const clock = fakeClock();
    const c = chain({ bulkhead: { limit: 1, queue: 5 } }, clock);
    const gate = deferred();
    const run = c.wrap(() => gate.promise);
    const first = settle(run(makeCall()));
    const ac = new AbortController();
    const second = settle(run(makeCall([], ac.signal)));
    await flush();
    ac.abort('bye');
    await flush();
    assert.ok(second.value() instanceof FoxAbortedError);
    assert.equal(c.get('bulkhead')!.queued, 0);
    gate.resolve('done');
    await flush();
    assert.equal(first.value(), 'done');
    assert.equal(c.get('bulkhead')!.inFlight, 0);
  });

  it('dispose fails queued calls with FoxShutdownError', async () => {
    const c = chain({ bulkhead: { limit: 1, queue: 2 } }, fakeClock());
    const run = c.wrap(() => new Promise(() => {}));
    run(makeCall()).catch(() => undefined);
    const queued = settle(run(makeCall()));
    await flush();
    c.dispose();
    await flush();
    assert.ok(queued.value() instanceof FoxShutdownError);
  });

  it('raising the limit at run time admits waiters at once', async () => {
    const clock = fakeClock();
    const c = chain({ bulkhead: { limit: 1, queue: 5 } }, clock);
    let started = 0;
    const run = c.wrap(() => {
      started++;
      return new Promise(() => {});
    });
    for (let i = 0; i < 4; i++) run(makeCall()).catch(() => undefined);
    await flush();
    assert.equal(started, 1);
    c.get('bulkhead')!.configure({ limit: 3 });
    await flush();
    assert.equal(started, 3);
  });

  it('property: in-flight never exceeds the limit, and every call settles', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(
          fc.record({
            duration: fc.integer({ min: 0, max: 50 }),
            gap: fc.integer({ min: 0, max: 20 }),
            fail: fc.boolean(),
            newLimit: fc.option(fc.integer({ min: 1, max: 5 }), { freq: 8 }),
          }),
          { maxLength: 60 },
        ),
        async (limit, queue, plan) => {
          const clock = fakeClock();
          const c = chain({ bulkhead: { limit, queue } }, clock);
          const b = c.get('bulkhead')!;
          let inFlight = 0;
          let currentLimit = limit;
          let settled = 0;
          for (const step of plan) {
            if (step.newLimit !== null) {
              b.configure({ limit: step.newLimit });
              currentLimit = step.newLimit;
            }
            const run = c.wrap(() => {
              inFlight++;
              // A lowered limit drains as calls finish; it never admits beyond the old one.
              assert.ok(inFlight <= Math.max(currentLimit, limit, 5), 'over any limit');
              assert.ok(b.inFlight <= Math.max(limit, currentLimit, b.config.limit, 5));
              return new Promise((resolve, reject) =>
                clock.setTimeout(() => {
                  inFlight--;
                  if (step.fail) reject(new Error('x'));
                  else resolve(1);
                }, step.duration),
              );
            });
            run(makeCall()).then(
              () => settled++,
              () => settled++,
            );
            await clock.tick(step.gap);
          }
          await clock.tick(10_000);
          assert.equal(settled, plan.length);
          assert.equal(inFlight, 0);
          assert.equal(b.inFlight, 0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('property: with a fixed limit, in-flight never exceeds it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 10 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 10 })), {
          maxLength: 80,
        }),
        async (limit, queue, plan) => {
          const clock = fakeClock();
          const c = chain({ bulkhead: { limit, queue } }, clock);
          let inFlight = 0;
          let peak = 0;
          const run = c.wrap(
            (call) =>
              new Promise((resolve) => {
                inFlight++;
                peak = Math.max(peak, inFlight);
                clock.setTimeout(() => {
                  inFlight--;
                  resolve(call.args[0]);
                }, call.args[0] as number);
              }),
          );
          for (const [duration, gap] of plan) {
            run(makeCall([duration])).catch(() => undefined);
            await clock.tick(gap);
          }
          await clock.tick(10_000);
          assert.ok(peak <= limit, `peak ${peak} > limit ${limit}`);
        },
      ),
      { numRuns: 150 },
    );
  });
});
