import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { UiState } from '../src/index.js';
import { exited, firstJsonLine, spawnFixture, tempDir, until } from './helpers.js';

/** Reads the live state of a profiler running in another process. */
async function stateOf(port: number, token: string): Promise<UiState | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/state?token=${token}`);
    return (await res.json()) as UiState;
  } catch {
    return undefined;
  }
}

function count(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('profiler reliability (real processes)', function () {
  this.timeout(60_000);
  const children: ChildProcess[] = [];
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
    }
    tmp.cleanup();
  });

  it('a program runs to completion, unaffected, when no profiler listens', async () => {
    const app = spawnFixture('exporting-app.ts', {
      FOX_PROFILER: 'ws://127.0.0.1:9?token=none',
      FIXTURE_MS: '1500',
    });
    children.push(app);
    let out = '';
    app.stdout!.on('data', (d: Buffer) => (out += String(d)));
    assert.equal(await exited(app), 0);
    assert.match(out, /fixture done after \d+ calls/);
  });

  it('survives kill -9 of the profiler: the exporter reconnects, the store is intact, the gap is accounted', async () => {
    const store = join(tmp.dir, 'fox.db');
    const token = 'reliability-token';
    const first = spawnFixture('profiler-process.ts', { STORE: store, TOKEN: token });
    children.push(first);
    const { url, port } = await firstJsonLine<{ url: string; port: number }>(first);

    const app = spawnFixture('exporting-app.ts', {
      FOX_PROFILER: url,
      FIXTURE_MS: '0',
      FIXTURE_INTERVAL_MS: '50',
    });
    children.push(app);
    let state: UiState | undefined;
    const waitFor = async (pred: (s: UiState) => boolean, what: string) => {
      const end = Date.now() + 20_000;
      for (;;) {
        state = await stateOf(port, token);
        if (state && pred(state)) return state;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitFor(
      (s) => s.tasks.some((t) => t.id === 'fixture#handle' && t.calls > 0),
      'first data',
    );
    await until(() => count(store, 'aggregates') > 0, 10_000, 'rows in the store');

    first.kill('SIGKILL');
    await exited(first);
    const rowsAtKill = count(store, 'aggregates');
    await new Promise((r) => setTimeout(r, 1500)); // the program keeps running meanwhile

    const second = spawnFixture('profiler-process.ts', {
      STORE: store,
      TOKEN: token,
      PORT: String(port),
    });
    children.push(second);
    await firstJsonLine(second);
    const s = await waitFor(
      (x) => (x.processes[0]?.gauges.length ?? 0) >= 3 && x.processes[0]!.connected,
      'the exporter to reconnect',
    );
    await until(() => count(store, 'aggregates') > rowsAtKill, 10_000, 'new rows');
    const p = s.processes[0]!;
    // The new profiler saw the process again from its hello, and the first seq it received
    // was not 1: the intervals of the outage show up as missed, and the drop counters say
    // which ones the exporter dropped or could not confirm (the rest were buffered and sent).
    assert.ok(p.missedIntervals >= p.dropped.frames, JSON.stringify(p));
    assert.ok(
      p.missedIntervals > 0 && p.missedIntervals <= p.dropped.frames + p.dropped.unconfirmed + 60,
      JSON.stringify(p),
    );

    const db = new Database(store, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
    assert.ok(app.exitCode === null, 'the program is still running');
  });
});
