import assert from 'node:assert/strict';
import { CPU_PROFILE_WIRE_VERSION, type CpuProfileFrame } from '@fox/sdk/protocol';
import { CpuProfileWindows } from '../src/live/cpu-functions.js';

const frame = (from: number, selfMs: number, name = 'f', line = 1): CpuProfileFrame => ({
  type: 'cpu-profile',
  v: CPU_PROFILE_WIRE_VERSION,
  from,
  to: from + 1000,
  intervalUs: 1000,
  samples: 1000,
  idleMs: 0,
  truncated: 0,
  functions: [
    { file: 'src/f.ts', line, column: 1, name, selfMs, totalMs: selfMs, samples: selfMs },
  ],
});

describe('live cpu windows', () => {
  it('sums per (file, line) across processes and names the busiest entry', () => {
    const w = new CpuProfileWindows();
    const now = Date.now();
    w.add('A', frame(now - 5000, 10, 'small'));
    w.add('B', frame(now - 4000, 30, 'big'));
    w.add('B', frame(now - 3000, 5, 'other', 2));
    const all = w.functions({ now: now + 1000 });
    assert.deepEqual(
      all.map((f) => [f.line, f.name, f.selfMs, f.windows]),
      [
        [1, 'big', 40, 2],
        [2, 'other', 5, 1],
      ],
    );
    assert.deepEqual(
      w.functions({ processId: 'A', now: now + 1000 }).map((f) => f.selfMs),
      [10],
    );
    assert.deepEqual(w.functions({ limit: 1, now: now + 1000 }).length, 1);
  });

  it('forgets the oldest windows beyond its count and age bounds', () => {
    const now = Date.now();
    const byCount = new CpuProfileWindows(60 * 60_000, 3);
    for (let i = 0; i < 5; i++) byCount.add('A', frame(now - 10_000 + i * 1000, 1));
    assert.equal(byCount.size, 3);
    const byAge = new CpuProfileWindows(5000, 100);
    byAge.add('A', frame(now - 60_000, 1));
    byAge.add('A', frame(now - 2000, 1));
    assert.equal(byAge.size, 1);
  });
});
