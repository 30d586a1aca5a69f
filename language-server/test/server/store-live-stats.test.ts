import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fox } from '@fox/sdk';
import { runtime } from '../../../sdk/src/runtime/runtime.js';
import { StoreLiveStats, formatLiveStats } from '../../src/server/live-stats.js';

describe('StoreLiveStats (hover and code lens numbers from .fox/fox.db)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fox-live-'))));
  afterEach(async () => {
    await runtime().reset();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no data until the store exists, then sums calls and merges latency across intervals', async () => {
    const path = join(dir, 'fox.db');
    let now = Date.now();
    const live = new StoreLiveStats(path, () => now);
    assert.equal(live.forTask('live#work'), undefined, 'no store yet: no data, no error');

    // A real program writes the store through the sdk: two intervals of calls.
    fox.configure({ store: path });
    const work = fox({ id: 'live#work' }, async (fail: boolean) => {
      await new Promise((r) => setTimeout(r, 2));
      if (fail) throw new Error('boom');
    });
    await Promise.allSettled([work(false), work(false), work(true)]);
    runtime().flush();
    await work(false);
    await fox.shutdown();

    now += 10_000; // past the answer cache
    const stats = live.forTask('live#work');
    assert.ok(stats, 'data once the program has written it');
    assert.equal(stats.calls, 4);
    assert.equal(stats.errors, 1);
    assert.ok(stats.p50 >= 1 && stats.p99 >= stats.p50, JSON.stringify(stats));
    assert.match(formatLiveStats(stats), /4 calls · 1 errors/);
    assert.equal(live.forTask('live#other'), undefined);
    live.close();
  });
});
