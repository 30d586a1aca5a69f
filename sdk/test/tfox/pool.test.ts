import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FoxWorkerError } from '../../src/modes/errors.js';
import { detectTsxApi } from '../../src/modes/tfox/module-target.js';
import { resolvePoolOptions, type PoolOptions } from '../../src/modes/tfox/pool-options.js';
import { FLAG_MEASURE, PoolJob, type WorkerFunction } from '../../src/modes/tfox/pool-job.js';
import { ThreadPool } from '../../src/modes/tfox/pool.js';
import type { ThreadExit } from '../../src/modes/tfox/worker-failure.js';
import { fakeClock, type TestClock } from '../wfox/fake-clock.js';

/**
 * The pool's lifecycle features on real worker threads, driven through ThreadPool directly so
 * the assertions can read its own counters and events: resourceLimits, recycling by memory,
 * the idle timeout, and the lone-call fast path.
 */

const moduleUrl = new URL('./fixtures/pool-tasks.ts', import.meta.url).href;
const names = [
  'add',
  'whichThread',
  'wait',
  'heapUsedMb',
  'retain',
  'exhaustHeap',
  'spin',
] as const;
type Name = (typeof names)[number];
const fns = Object.fromEntries(
  names.map((name, index) => [
    name,
    { index, taskId: `pool-tasks#${name}`, moduleUrl, locationKey: '', names: [name] },
  ]),
) as unknown as Record<Name, WorkerFunction>;

/** A job that hands its outcome to a callback. */
class Probe extends PoolJob {
  constructor(
    fn: WorkerFunction,
    args: unknown[],
    readonly done: (ok: boolean, value: unknown, syncMs: number, wallMs: number) => void,
    flags = 0,
  ) {
    super(fn, args, flags, undefined);
  }

  settle(ok: boolean, value: unknown, syncMs: number, wallMs: number): void {
    this.done(ok, value, syncMs, wallMs);
  }
}

function call<T>(pool: ThreadPool, name: Name, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) =>
    pool.submit(
      new Probe(fns[name], args, (ok, value) => (ok ? resolve(value as T) : reject(value))),
    ),
  );
}

/** Resolves with the next `count` thread exits. */
function exits(pool: ThreadPool, count: number): Promise<ThreadExit[]> {
  const seen: ThreadExit[] = [];
  return new Promise((resolve) => {
    const sub = pool.onThreadExit((e) => {
      seen.push(e);
      if (seen.length === count) {
        sub.dispose();
        resolve(seen);
      }
    });
  });
}

describe('tfox: thread pool lifecycle', function () {
  this.timeout(30_000);
  const tsx = detectTsxApi();
  let pool: ThreadPool | undefined;
  const open = (options: PoolOptions, clock?: TestClock, heapCheckIntervalMs?: number) => {
    const resolved = resolvePoolOptions(options as never);
    if (heapCheckIntervalMs !== undefined) resolved.heapCheckIntervalMs = heapCheckIntervalMs;
    return (pool = new ThreadPool(resolved, tsx, clock));
  };
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  describe('resourceLimits', () => {
    it('fails a call that exhausts the heap with a typed error; the worker is replaced and no other call is lost', async () => {
      const p = open({
        minThreads: 1,
        maxThreads: 1,
        concurrentTasksPerWorker: 64,
        resourceLimits: { maxOldGenerationSizeMb: 48 },
      });
      const first = await call<number>(p, 'whichThread');
      const died = exits(p, 1);
      // Started before the hog and still waiting when the worker dies: fails, typed.
      const alongside = call(p, 'wait', 2_000);
      const hog = call(p, 'exhaustHeap', 1_024);
      // Sent in the same message, behind the hog: never started, so they run elsewhere.
      const behind = Array.from({ length: 20 }, (_, i) => call<number>(p, 'add', i, 1));

      await assert.rejects(hog, (e: unknown) => {
        assert.ok(e instanceof FoxWorkerError, String(e));
        assert.equal(e.reason, 'crashed');
        assert.equal(e.taskId, 'pool-tasks#exhaustHeap');
        assert.match(e.message, /out of memory under resourceLimits.*maxOldGenerationSizeMb/);
        assert.equal((e.cause as { code?: string }).code, 'ERR_WORKER_OUT_OF_MEMORY');
        return true;
      });
      await assert.rejects(
        alongside,
        (e: unknown) => e instanceof FoxWorkerError && e.reason === 'crashed',
      );
      assert.deepEqual(
        await Promise.all(behind),
        behind.map((_, i) => i + 1),
      );
      const [exit] = await died;
      assert.equal(exit!.threadId, first);
      assert.equal(exit!.reason, 'crashed');

      const second = await call<number>(p, 'whichThread');
      assert.notEqual(second, first, 'a new worker runs later calls');
      assert.equal(await call(p, 'add', 2, 2), 4);
      const s = p.stats();
      assert.equal(s.started, 2);
      assert.equal(s.exited.crashed, 1);
      assert.equal(s.threads, 1);
    });
  });

  describe('recycling by memory', () => {
    it('retires a worker whose heap grew past recycleHeapMb after its running calls, without failing them', async () => {
      const p = open(
        { minThreads: 1, maxThreads: 1, recycleHeapMb: 48, concurrentTasksPerWorker: 64 },
        undefined,
        0,
      );
      assert.ok((await call<number>(p, 'heapUsedMb')) < 24, 'a fresh worker is well below 48 MiB');
      const first = await call<number>(p, 'whichThread');
      const recycled = exits(p, 1);

      const running = call<number>(p, 'wait', 1_500);
      // Same worker, next message: the heap check after it asks to be recycled while `running`
      // is still waiting.
      assert.ok((await call<number>(p, 'retain', 64)) >= 64);
      assert.deepEqual(
        [p.stats().threads, p.stats().accepting],
        [2, 1],
        'the old worker is finishing its call; a replacement takes new ones',
      );
      assert.notEqual(await call<number>(p, 'whichThread'), first);

      assert.equal(await running, 1_500, 'the running call completed on the retired worker');
      const [exit] = await recycled;
      assert.deepEqual([exit!.threadId, exit!.reason], [first, 'recycled']);
      const s = p.stats();
      assert.equal(s.threads, 1);
      assert.equal(s.exited.recycled, 1);
      assert.equal(s.exited.crashed + s.exited.exited + s.exited.terminated, 0);
      assert.equal(await call(p, 'add', 1, 2), 3);
      assert.ok((await call<number>(p, 'heapUsedMb')) < 24, 'the replacement starts small');
    });

    it('does not recycle a worker below the threshold', async () => {
      const p = open({ minThreads: 1, maxThreads: 1, recycleHeapMb: 256 }, undefined, 0);
      await call(p, 'retain', 16);
      for (let i = 0; i < 20; i++) await call(p, 'add', i, i);
      assert.equal(p.stats().started, 1);
      assert.equal(p.stats().exited.recycled, 0);
    });
  });

  describe('idle timeout', () => {
    it('stops threads above minThreads after idleTimeoutMs without calls, and only those', async () => {
      const clock = fakeClock();
      const p = open(
        { minThreads: 1, maxThreads: 3, idleTimeoutMs: 5_000, concurrentTasksPerWorker: 1 },
        clock,
      );
      const threads = await Promise.all([
        call<number>(p, 'whichThread'),
        call<number>(p, 'whichThread'),
        call<number>(p, 'whichThread'),
      ]);
      assert.equal(new Set(threads).size, 3, 'one call per worker: the pool grew to 3');
      assert.equal(p.stats().threads, 3);

      clock.tick(4_999);
      assert.equal(p.stats().threads, 3, 'not before the idle timeout');
      assert.equal(p.stats().accepting, 3);
      const gone = exits(p, 2);
      clock.tick(1);
      assert.equal(p.stats().accepting, 1, 'two are stopping, minThreads stays');
      const reasons = (await gone).map((e) => e.reason);
      assert.deepEqual(reasons, ['idle', 'idle']);
      assert.equal(p.stats().threads, 1);

      clock.tick(60_000);
      assert.equal(p.stats().threads, 1, 'never below minThreads');
      assert.equal(p.stats().exited.idle, 2);
      assert.equal(await call(p, 'add', 20, 22), 42);
    });

    it('a call on an idle thread restarts its timeout', async () => {
      const clock = fakeClock();
      const p = open(
        { minThreads: 0, maxThreads: 2, idleTimeoutMs: 1_000, concurrentTasksPerWorker: 1 },
        clock,
      );
      await Promise.all([call(p, 'add', 1, 1), call(p, 'add', 2, 2)]);
      assert.equal(p.stats().threads, 2);
      clock.tick(600);
      // The lone call goes straight to the first idle worker and clears its timer.
      assert.equal(await call(p, 'add', 3, 3), 6);
      const first = exits(p, 1);
      clock.tick(400);
      assert.equal((await first)[0]!.reason, 'idle');
      assert.equal(p.stats().threads, 1, 'the thread used at 600 ms is still there');
      const last = exits(p, 1);
      clock.tick(600);
      assert.equal((await last)[0]!.reason, 'idle');
      assert.equal(p.stats().threads, 0, 'minThreads 0: none left');
      assert.equal(await call(p, 'add', 4, 4), 8, 'and a new call starts one again');
    });
  });

  describe('dispatch', () => {
    it('posts a lone call at once and batches the calls of one tick behind it', async () => {
      const p = open({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 256 });
      await call(p, 'add', 0, 0);
      const lone = call<number>(p, 'add', 1, 1);
      // Posted inside submit: it is on the worker before the end of this tick.
      assert.deepEqual([p.stats().inFlight, p.stats().queued], [1, 0]);
      const burst = Array.from({ length: 100 }, (_, i) => call<number>(p, 'add', i, 0));
      assert.equal(p.stats().queued, 100, 'the rest wait for the end of the tick');
      await Promise.resolve();
      assert.equal(p.stats().queued, 0);
      assert.equal(await lone, 2);
      assert.deepEqual(
        await Promise.all(burst),
        burst.map((_, i) => i),
      );
    });

    it('hands a burst of long calls out a few milliseconds per worker at a time, evenly', async () => {
      const p = open({ minThreads: 2, maxThreads: 2 });
      // Both workers load the module, then the pool learns: ~1 ms a call.
      await Promise.all(Array.from({ length: 40 }, () => call(p, 'spin', 1)));
      for (let i = 0; i < 20; i++) await call(p, 'spin', 1);
      const burst = Array.from({ length: 120 }, () => call<number>(p, 'spin', 1));
      await Promise.resolve();
      // A 16 ms window per worker: the rest waits in the pool, where a cancel costs nothing.
      const { inFlight, queued } = p.stats();
      assert.ok(inFlight <= 32 && inFlight + queued === 120, JSON.stringify(p.stats()));
      const perThread = new Map<number, number>();
      for (const t of await Promise.all(burst)) perThread.set(t, (perThread.get(t) ?? 0) + 1);
      assert.equal(perThread.size, 2);
      for (const n of perThread.values()) assert.ok(n >= 45 && n <= 75, `${[...perThread]}`);
    });

    it('returns per-call times only for calls that ask (FLAG_MEASURE), in a batch with others', async () => {
      const p = open({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 64 });
      await call(p, 'add', 0, 0);
      const outcome = (name: Name, args: unknown[], flags: number) =>
        new Promise<[unknown, number, number]>((resolve) =>
          p.submit(new Probe(fns[name], args, (_ok, v, s, w) => resolve([v, s, w]), flags)),
        );
      const [plain, timedWait, timedAdd] = await Promise.all([
        outcome('add', [1, 1], 0),
        outcome('wait', [50], FLAG_MEASURE),
        outcome('add', [2, 2], FLAG_MEASURE),
      ]);
      assert.deepEqual(plain, [2, -1, -1]);
      assert.equal(timedWait[0], 50);
      assert.ok(timedWait[1] >= 0 && timedWait[1] < 40, `sync ${timedWait[1]}`);
      assert.ok(timedWait[2] >= 45, `wall ${timedWait[2]} covers the wait`);
      assert.equal(timedAdd[0], 4);
      assert.ok(timedAdd[1] >= 0 && timedAdd[2] >= timedAdd[1]);
    });

    it('reports an argument that cannot be cloned asynchronously, even on the lone-call path', async () => {
      const p = open({ minThreads: 1, maxThreads: 1 });
      await call(p, 'add', 0, 0);
      let settledInSubmit = false;
      let inSubmit = true;
      const failed = new Promise((resolve) => {
        p.submit(
          new Probe(fns.add, [1, () => 2], (ok, value) => {
            settledInSubmit = inSubmit;
            resolve([ok, (value as Error).name]);
          }),
        );
      });
      inSubmit = false;
      assert.deepEqual(await failed, [false, 'FoxDataCloneError']);
      assert.equal(settledInSubmit, false);
      assert.equal(await call(p, 'add', 1, 1), 2);
    });
  });

  describe('invariants', () => {
    it('every call settles once with its own result; cancelled ones never; the pool ends empty', async () => {
      const p = open({ minThreads: 1, maxThreads: 2, concurrentTasksPerWorker: 3 });
      const step = fc.record({
        kind: fc.constantFrom('add', 'wait'),
        x: fc.integer({ min: 0, max: 1000 }),
        ms: fc.integer({ min: 0, max: 4 }),
        // 'now': right after submit (queued, or just posted to an idle worker); 'later': after 2 ms.
        cancel: fc.constantFrom('none', 'none', 'none', 'now', 'later'),
        sameTick: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
          const outcomes = new Map<number, unknown[]>();
          const expected: unknown[] = [];
          const later: Probe[] = [];
          for (const [i, st] of steps.entries()) {
            if (!st.sameTick) await Promise.resolve();
            const args = st.kind === 'add' ? [st.x, i] : [st.ms];
            expected.push(st.kind === 'add' ? st.x + i : st.ms);
            const job = new Probe(fns[st.kind], args, (ok, value) => {
              const seen = outcomes.get(i) ?? [];
              seen.push(ok ? value : ['failed', value]);
              outcomes.set(i, seen);
            });
            p.submit(job);
            if (st.cancel === 'now') p.cancel(job, 'x');
            if (st.cancel === 'later') later.push(job);
          }
          await new Promise((r) => setTimeout(r, 2));
          for (const job of later) p.cancel(job, 'x');
          const cancelled = new Set(steps.flatMap((st, i) => (st.cancel === 'none' ? [] : [i])));
          const deadline = Date.now() + 10_000;
          const live = () => steps.filter((_, i) => !cancelled.has(i) && !outcomes.has(i));
          while (live().length > 0 && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 2));
          // Cancelled calls still running finish in their worker; give them time to come back.
          while (p.stats().inFlight > 0 && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 2));
          steps.forEach((st, i) => {
            const seen = outcomes.get(i);
            if (cancelled.has(i)) {
              // Cancelled before it ran or while running: never settled through the pool.
              assert.ok(
                seen === undefined || st.cancel === 'later',
                `call ${i} settled after cancel`,
              );
              if (seen) assert.equal(seen.length, 1);
            } else assert.deepEqual(seen, [expected[i]], `call ${i}`);
          });
          const s = p.stats();
          assert.deepEqual([s.queued, s.inFlight], [0, 0]);
          assert.ok(s.threads >= 1 && s.threads <= 2);
          assert.equal(s.exited.crashed + s.exited.terminated + s.exited.exited, 0);
        }),
        { numRuns: 25 },
      );
    });
  });
});
