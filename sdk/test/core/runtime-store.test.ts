import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fox } from '@fox/sdk';
import { openStore } from '@fox/sdk/store';
import { LatencyHistogram } from '@fox/sdk/telemetry';
import { runtime } from '../../src/runtime/runtime.js';

describe('fox.configure({ store })', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fox-rt-store-'))));
  afterEach(async () => {
    await runtime().reset();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes tasks and one aggregate per flush interval to SQLite', async () => {
    const path = join(dir, 'fox.db');
    fox.configure({ store: path });
    const work = fox(
      { id: 'store#work' },
      async (ms: number) => new Promise((r) => setTimeout(r, ms)),
    );
    await Promise.all([work(1), work(2), work(3)]);
    runtime().flush();
    await work(1);
    await fox.shutdown(); // the final flush writes the second interval

    const store = openStore({ path });
    try {
      assert.deepEqual(
        store.tasks().map((t) => t.id),
        ['store#work'],
      );
      const rows = store.taskHistory('store#work', 0);
      assert.equal(rows.length, 2, 'one row per interval');
      assert.deepEqual(
        rows.map((r) => r.calls),
        [3, 1],
      );
      const h = LatencyHistogram.decode(rows[0]!.histogram!);
      assert.equal(h.count, 3);
      assert.ok(h.max >= 2, `max ${h.max}`); // timers may fire a little early by performance.now()
    } finally {
      store.close();
    }
  });
});

describe('wfox through fox()', () => {
  afterEach(() => runtime().reset());

  it('limits concurrency, reports the limit and queue, and rejects when the queue is full', async () => {
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const query = fox(
      { id: 'db#query', mode: 'wfox', limiter: { algorithm: 'fixed', initial: 2, queue: 3 } },
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gates.push(r));
        running--;
      },
    );
    const calls = Array.from({ length: 6 }, () =>
      query().then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      ),
    );
    await new Promise((r) => setImmediate(r));
    const stats = fox.stats().tasks[0]!;
    assert.equal(stats.limit, 2);
    assert.equal(stats.queued, 3);
    assert.equal(stats.current, 'wfox');
    while (gates.length > 0 || running > 0) {
      gates.splice(0).forEach((g) => g());
      await new Promise((r) => setImmediate(r));
    }
    const outcomes = await Promise.all(calls);
    assert.deepEqual(outcomes.sort(), ['FOX_REJECTED', 'ok', 'ok', 'ok', 'ok', 'ok']);
    assert.equal(peak, 2);
    assert.equal(fox.stats().tasks[0]!.errorsByCode.FOX_REJECTED, 1);
  });
});

describe('fox.task(): live changes', () => {
  afterEach(() => runtime().reset());

  it('reads and changes the wfox limit at run time, validated', async () => {
    const q = fox(
      { id: 'live#q', mode: 'wfox', limiter: { algorithm: 'fixed', initial: 4 } },
      async () => 1,
    );
    const handle = fox.task(q)!;
    assert.equal(handle, fox.task('live#q') && handle);
    assert.equal(handle.limiter!.limit, 4);
    const seen: number[] = [];
    handle.limiter!.onLimitChange((e) => seen.push(e.limit));
    handle.limiter!.configure({ initial: 9 });
    assert.equal(handle.limiter!.limit, 9);
    assert.equal(fox.stats().tasks[0]!.limit, 9);
    assert.deepEqual(seen, [9]);
    assert.throws(() => handle.limiter!.configure({ initial: -1 }), /limiter|initial/);
    assert.equal(handle.limiter!.limit, 9, 'a rejected change changes nothing');
    assert.equal(await q(), 1);
  });

  it('runs higher-priority queued calls first', async () => {
    const order: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const job = fox(
      {
        id: 'live#prio',
        mode: 'wfox',
        limiter: { algorithm: 'fixed', initial: 1 },
        priority: (p: number) => p,
      },
      async (p: number) => {
        if (p === 0) await gate;
        order.push(p);
      },
    );
    const all = [job(0), job(1), job(5), job(3)];
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all(all);
    assert.deepEqual(order, [0, 5, 3, 1]);
  });

  it('returns undefined for unknown tasks', () => {
    assert.equal(fox.task('nope#nothing'), undefined);
    assert.equal(
      fox.task(async () => 1),
      undefined,
    );
  });
});

describe('switching strategy at run time', () => {
  afterEach(() => runtime().reset());

  it('lets queued and running calls finish under the old strategy', async () => {
    const gates: (() => void)[] = [];
    const job = fox(
      { id: 'switch#job', mode: 'wfox', limiter: { algorithm: 'fixed', initial: 1 } },
      async (n: number) => {
        await new Promise<void>((r) => gates.push(r));
        return n;
      },
    );
    const before = [job(1), job(2)]; // one running, one queued on the wfox limiter
    await new Promise((r) => setImmediate(r));
    const task = runtime().registry.get('switch#job')!;
    const switched = task.setStrategy('sfox');
    const after = job(3); // runs under sfox at once
    await new Promise((r) => setImmediate(r));
    assert.equal(fox.task('switch#job')!.info().current, 'sfox');
    while (gates.length > 0) {
      gates.splice(0).forEach((g) => g());
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(await Promise.all([...before, after]), [1, 2, 3]);
    await switched;
  });
});
