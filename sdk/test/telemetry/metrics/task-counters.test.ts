import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { fox } from '../../../src/index.js';
import { runtime } from '../../../src/runtime/runtime.js';

const counters = (id: string) => fox.task(id)!.stats().counters;

// What fox.stats() says the policies did, driven through real tasks and their policies.
describe('per-task policy counters in fox.stats()', () => {
  afterEach(() => runtime().reset());

  it('a plain sfox task counts one attempt per call and nothing else', async () => {
    const f = fox({ id: 'counters#plain' }, async (x: number) => x + 1);
    for (let i = 0; i < 5; i++) await f(i);
    const c = counters('counters#plain');
    assert.equal(c.attempts, 5);
    assert.equal(c.retries + c.hedges + c.fallbacks + c.timeouts, 0);
  });

  it('counts retries as extra attempts and the fallback that answered', async () => {
    let n = 0;
    const f = fox(
      { id: 'counters#retry', retry: { attempts: 3, delay: 0 }, fallback: -1 },
      async () => {
        n++;
        throw Object.assign(new Error('down'), { code: 'EDOWN' });
      },
    );
    assert.equal(await f(), -1);
    assert.equal(await f(), -1);
    const c = counters('counters#retry');
    assert.equal(n, 6);
    assert.equal(c.attempts, 6, 'three attempts per call');
    assert.equal(c.retries, 4, 'two retries per call');
    assert.equal(c.fallbacks, 2);
  });

  it('counts breaker transitions and its refusals, which are not attempts', async () => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      let fail = true;
      const f = fox(
        { id: 'counters#breaker', breaker: { consecutive: 2, halfOpenAfter: 1000 } },
        async () => {
          if (fail) throw new Error('boom');
          return 'ok';
        },
      );
      for (let i = 0; i < 2; i++) await f().catch(() => undefined);
      await f().catch(() => undefined); // refused: open
      let c = counters('counters#breaker');
      assert.equal(c.breakerTransitions.opened, 1);
      assert.equal(c.rejected.breaker, 1);
      assert.equal(c.attempts, 2);
      fail = false;
      await clock.tickAsync(1000);
      assert.equal(await f(), 'ok');
      c = counters('counters#breaker');
      assert.equal(c.breakerTransitions.halfOpened, 1);
      assert.equal(c.breakerTransitions.closed, 1);
      assert.equal(c.attempts, 3);
    } finally {
      clock.uninstall();
    }
  });

  it('counts hedges and timeouts', async () => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      let n = 0;
      const hedged = fox(
        { id: 'counters#hedge', hedge: { after: 10, budget: false } },
        async () => {
          const me = ++n;
          await new Promise((r) => setTimeout(r, me === 1 ? 100 : 5));
          return me;
        },
      );
      const out = hedged();
      await clock.tickAsync(20);
      assert.equal(await out, 2, 'the hedge answered first');
      const slow = fox({ id: 'counters#timeout', timeout: 10 }, async () => {
        await new Promise((r) => setTimeout(r, 50));
      });
      const timedOut = slow().then(
        () => 'resolved',
        () => 'rejected',
      );
      await clock.tickAsync(60);
      assert.equal(await timedOut, 'rejected');
      await clock.tickAsync(100);
      assert.equal(counters('counters#hedge').hedges, 1);
      assert.equal(counters('counters#hedge').attempts, 2);
      assert.equal(counters('counters#timeout').timeouts, 1);
    } finally {
      clock.uninstall();
    }
  });

  it('counts bulkhead refusals', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const f = fox({ id: 'counters#bulkhead', bulkhead: { limit: 1, queue: 0 } }, () => gate);
    const first = f();
    await assert.rejects(f());
    release();
    await first;
    const c = counters('counters#bulkhead');
    assert.equal(c.rejected.bulkhead, 1);
    assert.equal(c.attempts, 1);
  });
});
