import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DropCounters } from '@fox/sdk/protocol';
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

  it('survives kill -9 of the profiler twice: the exporter reconnects and every interval is stored', async () => {
    const store = join(tmp.dir, 'fox.db');
    const token = 'reliability-token';
    const startProfiler = async (port?: number) => {
      const p = spawnFixture('profiler-process.ts', {
        STORE: store,
        TOKEN: token,
        ...(port === undefined ? {} : { PORT: String(port) }),
      });
      children.push(p);
      return { child: p, ...(await firstJsonLine<{ url: string; port: number }>(p)) };
    };
    const first = await startProfiler();
    const port = first.port;

    const app = spawnFixture('exporting-app.ts', {
      FOX_PROFILER: first.url,
      FIXTURE_MS: '6000',
      FIXTURE_INTERVAL_MS: '50',
    });
    children.push(app);
    let out = '';
    app.stdout!.on('data', (d: Buffer) => (out += String(d)));
    const appExit = exited(app);
    await until(() => count(store, 'profiler_gauges') > 5, 15_000, 'rows in the store');

    // Killed between flushes too: frames received (and shown live) but not yet committed.
    let profiler = first.child;
    for (let round = 0; round < 2; round++) {
      const before = count(store, 'profiler_gauges');
      profiler.kill('SIGKILL');
      await exited(profiler);
      await new Promise((r) => setTimeout(r, 700)); // the program keeps running meanwhile
      profiler = (await startProfiler(port)).child;
      await until(() => count(store, 'profiler_gauges') > before + 5, 15_000, 'new rows');
    }
    const last = await stateOf(port, token);
    assert.equal(await appExit, 0, out);
    const line = /fixture exporter (.*)/.exec(out)?.[1];
    assert.ok(line, out);
    const sent = JSON.parse(line) as { seq: number; connects: number; dropped: DropCounters };

    const db = new Database(store, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      // One gauge row per aggregates frame; the exporter numbered its frames 1..seq.
      const stored = (
        db.prepare('select count(*) as n from profiler_gauges').get() as { n: number }
      ).n;
      assert.ok(sent.connects >= 3, line);
      // What it could not deliver, it counted; with a 4 MiB buffer and 0.7 s outages, nothing.
      assert.equal(sent.dropped.frames + sent.dropped.unconfirmed, 0, line);
      assert.equal(stored, sent.seq, `stored ${stored} of ${sent.seq} intervals: ${line}`);
    } finally {
      db.close();
    }
    // The third profiler did not count what the first two stored as missed.
    const p = last?.processes[0];
    assert.ok(p, 'the last profiler saw the program');
    assert.equal(p.missedIntervals, 0, JSON.stringify({ ...p, gauges: p.gauges.length }));
  });
});
