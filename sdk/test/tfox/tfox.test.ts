import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { fox, FoxConfigError, type FoxError } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';
import { FoxDataCloneError, FoxNotExportedError, FoxWorkerError } from '../../src/modes/errors.js';
import * as tasks from './fixtures/cpu-tasks.js';

const hangs = fileURLToPath(new URL('./fixtures/hangs.ts', import.meta.url));

describe('tfox: worker pool strategy', function () {
  this.timeout(30_000);
  before(() => {
    // A worker imports the sdk's sources through tsx: seconds on a busy machine, so the load
    // timeout stays at its default except in the test about it.
    fox.configure({ pool: { minThreads: 1, maxThreads: 2, cancelGraceMs: 300 } });
  });
  after(() => runtime().reset());

  it('runs the call on a worker thread and returns its result', async () => {
    assert.equal(await tasks.where(), 'worker');
    assert.equal(await tasks.add(2, 3), 5);
    assert.equal(fox.task(tasks.add)!.info().current, 'tfox');
  });

  it('runs a decorated static method with its class as this', async () => {
    assert.equal(await tasks.Shapes.area(3, 4), 12);
  });

  it('runs many calls submitted in one tick and keeps their order', async () => {
    const xs = Array.from({ length: 2000 }, (_, i) => i);
    const ys = await Promise.all(xs.map((i) => tasks.add(i, 1)));
    assert.deepEqual(
      ys,
      xs.map((i) => i + 1),
    );
  });

  it('rejects tfox on an instance method at decoration, saying why', () => {
    assert.throws(
      () => {
        class Svc {
          @fox({ mode: 'tfox', id: 'svc-instance' })
          async run(): Promise<number> {
            return 1;
          }
        }
        return Svc;
      },
      (e: unknown) => e instanceof FoxConfigError && /instance method/.test(e.message),
    );
  });

  it('names a function that its module does not export', async () => {
    await assert.rejects(tasks.callHidden(), (e: unknown) => {
      assert.ok(e instanceof FoxNotExportedError, String(e));
      assert.match(e.message, /hidden/);
      assert.match(e.message, /not among its exports/);
      return true;
    });
  });

  it('wraps a DataCloneError naming the task and the argument index; other calls proceed', async () => {
    const bad = tasks.echo(1, (() => 2) as never);
    const good = tasks.add(1, 1);
    await assert.rejects(bad, (e: unknown) => {
      assert.ok(e instanceof FoxDataCloneError, String(e));
      assert.equal(e.argIndex, 1);
      assert.equal(e.direction, 'argument');
      assert.match(e.message, /#echo/);
      return true;
    });
    assert.equal(await good, 2);
    await assert.rejects(
      tasks.giveFunction(),
      (e: unknown) => e instanceof FoxDataCloneError && e.direction === 'result',
    );
  });

  it("keeps the worker error's class name, message and code", async () => {
    await assert.rejects(tasks.fail(), (e: unknown) => {
      const err = e as Error & { code?: string };
      assert.equal(err.name, 'RangeError');
      assert.equal(err.message, 'nope');
      assert.equal(err.code, 'E_NOPE');
      return true;
    });
  });

  describe('cancellation', () => {
    it('settles at once when the signal is already aborted (p-queue #241)', async () => {
      const ac = new AbortController();
      ac.abort(new Error('already'));
      const t0 = Date.now();
      await assert.rejects(tasks.wait(5_000, ac.signal), /already/);
      assert.ok(Date.now() - t0 < 100);
    });

    it('removes a queued call with signal.reason', async () => {
      const busy = [tasks.spin(400), tasks.spin(400), tasks.spin(400), tasks.spin(400)];
      const ac = new AbortController();
      const queued = tasks.wait(10, ac.signal);
      ac.abort('gone');
      const t0 = Date.now();
      await assert.rejects(queued, (e: unknown) => e === 'gone');
      assert.ok(Date.now() - t0 < 100);
      await Promise.all(busy);
    });

    it('aborts a running call cooperatively; later calls still start (piscina #805)', async () => {
      const ac = new AbortController();
      const running = tasks.wait(10_000, ac.signal);
      await new Promise((r) => setTimeout(r, 50));
      ac.abort('stop');
      await assert.rejects(running, (e: unknown) => e === 'stop');
      assert.deepEqual(await Promise.all([tasks.add(1, 2), tasks.add(3, 4)]), [3, 7]);
    });

    it('aborting one of two calls sharing a thread leaves the other alone (piscina #934)', async () => {
      fox.configure({ pool: { maxThreads: 1, minThreads: 1, cancelGraceMs: 300 } });
      await runtime().tfoxPool().close();
      await resetPool();
      const a = new AbortController();
      const b = new AbortController();
      const first = tasks.wait(300, a.signal);
      const second = tasks.wait(300, b.signal);
      await new Promise((r) => setTimeout(r, 30));
      a.abort('a');
      await assert.rejects(first, (e: unknown) => e === 'a');
      assert.equal(await second, 300);
      fox.configure({ pool: { maxThreads: 2 } });
      await resetPool();
    });

    it('terminates a worker whose cancelled call blocks it; calls behind it run elsewhere', async () => {
      fox.configure({ pool: { maxThreads: 1, minThreads: 1, cancelGraceMs: 200 } });
      await resetPool();
      assert.equal(await tasks.add(0, 0), 0, 'warm worker');
      const ac = new AbortController();
      const blocking = tasks.spin(15_000);
      void blocking.catch(() => {});
      const stuck = tasks.wait(5, ac.signal);
      const behind = tasks.add(20, 22);
      await new Promise((r) => setTimeout(r, 100));
      ac.abort('cancel');
      await assert.rejects(stuck, (e: unknown) => e === 'cancel');
      // The blocked worker is terminated after the grace period; the blocking call had started.
      const t0 = Date.now();
      assert.equal(await behind, 42);
      assert.ok(Date.now() - t0 < 10_000, 'did not wait for the blocking call');
      await assert.rejects(blocking, (e: unknown) => (e as FoxError).code === 'FOX_WORKER');
      fox.configure({ pool: { maxThreads: 2 } });
      await resetPool();
    });
  });

  describe('crash recovery', () => {
    it('fails the calls running on a worker that calls process.exit; no other call is lost', async () => {
      const others = Array.from({ length: 50 }, (_, i) => tasks.add(i, i));
      const exiting = tasks.crash('exit');
      const more = Array.from({ length: 50 }, (_, i) => tasks.add(i, 0));
      await assert.rejects(exiting, (e: unknown) => {
        assert.ok(e instanceof FoxWorkerError, String(e));
        assert.equal(e.reason, 'exited');
        assert.equal(e.exitCode, 3);
        return true;
      });
      // Calls that were running on the same worker fail with the typed error (they may have had
      // side effects, so they are not re-run); every other call completes.
      const settled = await Promise.allSettled(others);
      settled.forEach((r, i) => {
        if (r.status === 'fulfilled') assert.equal(r.value, i * 2);
        else
          assert.ok(r.reason instanceof FoxWorkerError && r.reason.reason === 'exited', r.reason);
      });
      assert.deepEqual(
        await Promise.all(more),
        more.map((_, i) => i),
        'calls queued behind the exit ran on the replacement worker',
      );
      assert.equal(await tasks.add(1, 1), 2, 'the pool replaced the worker');
    });

    it('fails the calls of a worker with an uncaught error with reason crashed', async () => {
      await assert.rejects(
        tasks.crash('throw'),
        (e: unknown) =>
          e instanceof FoxWorkerError && e.reason === 'crashed' && /boom/.test(e.message),
      );
      assert.equal(await tasks.add(2, 2), 4);
    });
  });

  it('moves a buffer marked with fox.move() instead of copying it', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const total = await tasks.sum(fox.move(bytes));
    assert.equal(total, 10);
    assert.equal(bytes.byteLength, 0, 'the sender lost the moved buffer');
  });

  it('fails with load-timeout instead of hanging when the module never finishes loading', async () => {
    fox.configure({ pool: { loadTimeoutMs: 1_500 } });
    await resetPool();
    const never = fox({ mode: 'tfox', id: 'hangs#never', module: hangs }, async () => 1);
    await assert.rejects(never(), (e: unknown) => {
      assert.ok(e instanceof FoxWorkerError, String(e));
      assert.equal(e.reason, 'load-timeout');
      assert.match(e.message, /own module/);
      return true;
    });
    fox.configure({ pool: { loadTimeoutMs: 10_000 } });
    await resetPool();
  });
});

async function resetPool(): Promise<void> {
  // Test-only: replace the shared pool so that new pool settings apply.
  const rt = runtime() as unknown as { pool?: { close(): Promise<void> } };
  await rt.pool?.close();
  rt.pool = undefined;
}
