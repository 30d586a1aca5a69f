import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WebSocket } from 'ws';
import { CPU_PROFILE_WIRE_VERSION, WIRE_VERSION, type CpuProfileFrame } from '@fox/sdk/protocol';
import { startProfiler, type Profiler } from '../src/index.js';
import { SessionReader } from '../src/storage/session-reader.js';
import { exited, spawnFixture, tempDir, until } from './helpers.js';

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function hello(id: string): string {
  return JSON.stringify({
    type: 'hello',
    v: WIRE_VERSION,
    process: { id, pid: 1, argv: ['app.js'], nodeVersion: 'v20', projectRoot: '/p', startedAt: 1 },
    tasks: [],
  });
}

type CpuFn = CpuProfileFrame['functions'][number];

function cpuFrame(from: number, functions: CpuFn[]): CpuProfileFrame {
  return {
    type: 'cpu-profile',
    v: CPU_PROFILE_WIRE_VERSION,
    from,
    to: from + 1000,
    intervalUs: 1000,
    samples: 1000,
    idleMs: 100,
    truncated: 0,
    functions,
  };
}

const hot = (selfMs: number, longestSyncMs: number): CpuFn => ({
  file: 'src/hot.ts',
  line: 12,
  column: 17,
  name: 'hot',
  selfMs,
  totalMs: selfMs + 5,
  samples: Math.round(selfMs + 5),
  longestSyncMs,
});
const caller: CpuFn = {
  file: 'src/main.ts',
  line: 3,
  column: 1,
  name: '(anonymous)',
  selfMs: 1,
  totalMs: 300,
  samples: 300,
};

describe('profiler: cpu-profile frames', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let profiler: Profiler | undefined;
  const sockets: WebSocket[] = [];
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await profiler?.close();
    profiler = undefined;
    tmp.cleanup();
  });

  async function connected(processId: string): Promise<WebSocket> {
    profiler ??= await startProfiler({ storePath: join(tmp.dir, 'fox.db') });
    const ws = await open(profiler.url);
    sockets.push(ws);
    ws.send(hello(processId));
    return ws;
  }

  it('sums windows per (file, line) live, and stores every window', async () => {
    const ws = await connected('P1');
    const now = Date.now();
    ws.send(JSON.stringify(cpuFrame(now - 3000, [hot(100, 20), caller])));
    ws.send(JSON.stringify(cpuFrame(now - 2000, [hot(150, 35)])));
    // The same window again (a re-sent frame) counts once.
    ws.send(JSON.stringify(cpuFrame(now - 2000, [hot(150, 35)])));
    await until(() => profiler!.counters().framesAccepted === 4, 5000, 'frames');

    const live = profiler!.cpuFunctions({ minutes: 5 });
    assert.deepEqual(live[0], {
      file: 'src/main.ts',
      line: 3,
      column: 1,
      name: '(anonymous)',
      selfMs: 1,
      totalMs: 300,
      samples: 300,
      longestSyncMs: 0,
      windows: 1,
    });
    assert.deepEqual(live[1], {
      file: 'src/hot.ts',
      line: 12,
      column: 17,
      name: 'hot',
      selfMs: 250,
      totalMs: 260,
      samples: 260,
      longestSyncMs: 35,
      windows: 2,
    });
    assert.deepEqual(profiler!.cpuFunctions({ minutes: 5, processId: 'other' }), []);
    // Windows that ended before the asked span are left out.
    assert.deepEqual(profiler!.cpuFunctions({ minutes: 5, now: now + 10 * 60_000 }), []);

    const res = await fetch(`http://127.0.0.1:${profiler!.port}/api/cpu?minutes=5&limit=1`);
    assert.equal(res.status, 401);
    const authed = await fetch(
      `http://127.0.0.1:${profiler!.port}/api/cpu?minutes=5&limit=1&token=${profiler!.token}`,
    );
    assert.deepEqual(await authed.json(), [live[0]]);

    await profiler!.close();
    const db = new Database(join(tmp.dir, 'fox.db'), { readonly: true });
    try {
      const rows = db
        .prepare(
          'SELECT file, line, self_ms, longest_sync_ms FROM profiler_cpu_functions ORDER BY window_from, file',
        )
        .all();
      assert.deepEqual(rows, [
        { file: 'src/hot.ts', line: 12, self_ms: 100, longest_sync_ms: 20 },
        { file: 'src/main.ts', line: 3, self_ms: 1, longest_sync_ms: null },
        { file: 'src/hot.ts', line: 12, self_ms: 150, longest_sync_ms: 35 },
      ]);
      const stored = new SessionReader(db).cpuFunctions('P1', { from: 0, to: now + 1000 });
      assert.deepEqual(
        stored.map((f) => [f.file, f.line, f.selfMs, f.totalMs, f.windows, f.longestSyncMs]),
        [
          ['src/main.ts', 3, 1, 300, 1, 0],
          ['src/hot.ts', 12, 250, 260, 2, 35],
        ],
      );
    } finally {
      db.close();
    }
  });

  it('rejects malformed and oversized cpu frames, counts them, and keeps the connection', async () => {
    const ws = await connected('P2');
    const from = Date.now() - 1000;
    const good = cpuFrame(from, [hot(10, 5)]);
    const bad: unknown[] = [
      { ...good, v: 2 },
      { ...good, to: from - 1 },
      { ...good, intervalUs: 0 },
      { ...good, functions: Array.from({ length: 501 }, () => hot(1, 1)) },
      { ...good, functions: [{ ...hot(10, 5), selfMs: -1 }] },
      { ...good, functions: [{ ...hot(10, 5), selfMs: 100 }] }, // self > total
      { ...good, functions: [{ ...hot(10, 5), line: 0 }] },
      { ...good, functions: [{ ...hot(10, 5), file: 'x'.repeat(2000) }] },
      { ...good, functions: [{ ...hot(10, 5), totalMs: 1e300 }] },
      { ...good, functions: [{ ...hot(10, 5), samples: 1.5 }] },
      { ...good, functions: 'many' },
      // What an older profiler sees of a newer frame type: refused and counted, nothing else.
      { ...good, type: 'cpu-profile-v9' },
    ];
    for (const frame of bad) ws.send(JSON.stringify(frame));
    ws.send(JSON.stringify(good));
    await until(() => profiler!.counters().framesAccepted === 2, 5000, 'the good frame');
    const c = profiler!.counters();
    assert.equal(c.rejected.invalid, bad.length);
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.deepEqual(
      profiler!.cpuFunctions().map((f) => [f.file, f.selfMs]),
      [['src/hot.ts', 10]],
    );
  });

  it('a real program profiled against a real profiler leaves cpu rows for its heavy function', async () => {
    profiler = await startProfiler({ storePath: join(tmp.dir, 'fox.db') });
    const child = spawnFixture(
      'cpu-app.ts',
      { FOX_PROFILER: profiler.url, FIXTURE_MS: '1500' },
      { coverage: false },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
    assert.equal(await exited(child), 0, stderr);
    await until(
      () => profiler!.cpuFunctions().some((f) => f.name === 'crunch'),
      5000,
      'crunch in the live view',
    );
    const live = profiler.cpuFunctions().find((f) => f.name === 'crunch')!;
    // Declared at line 8 of the fixture; the file relative to the nearest package.json.
    assert.deepEqual([live.file, live.line], ['test/fixtures/cpu-app.ts', 8]);
    // crunch spins 15 ms of every round; on a loaded machine the program gets less CPU, so the
    // test asserts that crunch is where the program's time went, not an absolute amount.
    const busiest = profiler.cpuFunctions().reduce((a, b) => (b.selfMs > a.selfMs ? b : a));
    assert.equal(busiest.name, 'crunch', `busiest: ${busiest.name} ${busiest.selfMs} ms`);
    assert.ok(live.selfMs > 100, `crunch self ${live.selfMs} ms`);
    await profiler.close();

    const db = new Database(join(tmp.dir, 'fox.db'), { readonly: true });
    try {
      const row = db
        .prepare(
          `SELECT SUM(self_ms) AS selfMs, COUNT(*) AS windows, MAX(longest_sync_ms) AS longest
             FROM profiler_cpu_functions WHERE file = ? AND line = ? AND name = 'crunch'`,
        )
        .get('test/fixtures/cpu-app.ts', 8) as { selfMs: number; windows: number; longest: number };
      assert.ok(row.windows >= 2, `windows ${row.windows}`);
      assert.ok(row.selfMs > 100, `stored crunch self ${row.selfMs} ms`);
      assert.ok(row.longest >= 10, `longest stretch ${row.longest} ms`);
      // Only the project's own code: nothing from node_modules or the sdk.
      const foreign = db
        .prepare(
          `SELECT COUNT(*) AS n FROM profiler_cpu_functions
            WHERE file LIKE '%node_modules%' OR file LIKE 'src/telemetry/%' OR file LIKE 'node:%'`,
        )
        .get() as { n: number };
      assert.equal(foreign.n, 0);
    } finally {
      db.close();
    }
  });
});
