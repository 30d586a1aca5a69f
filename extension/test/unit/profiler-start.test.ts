import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProfiler, type Profiler, type ProfilerOptions } from '@fox/profiler';
import { startWithStore, storeChoice } from '../../src/profiler/profiler-start.js';

/** A log that records lines as the Fox output channel would show them. */
function recorder() {
  const lines: string[] = [];
  return {
    lines,
    info: (m: string) => void lines.push(`info ${m}`),
    warn: (m: string) => void lines.push(`warn ${m}`),
  };
}

describe('starting the extension’s profiler', () => {
  let profiler: Profiler | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await profiler?.close();
    profiler = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads fox.profiler.storePath against the workspace folder', () => {
    const folder = join('/', 'w');
    assert.deepEqual(storeChoice(folder, '.fox/fox.db'), { path: join(folder, '.fox/fox.db') });
    assert.deepEqual(storeChoice(undefined, join('/', 'db', 'fox.db')), {
      path: join('/', 'db', 'fox.db'),
    });
    assert.deepEqual(storeChoice(folder, ''), {
      path: false,
      reason: 'fox.profiler.storePath is empty',
    });
    assert.deepEqual(storeChoice(undefined, '.fox/fox.db'), {
      path: false,
      reason: 'no workspace folder is open',
    });
  });

  it('logs its port and the store it uses', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fox-ext-start-'));
    const log = recorder();
    const store = join(dir, 'fox.db');
    profiler = await startWithStore(startProfiler, {}, { path: store }, log);
    assert.equal(profiler.storePath, store);
    assert.deepEqual(log.lines, [
      `info profiler listening on 127.0.0.1:${profiler.port}`,
      `info profiler store: ${store}`,
    ]);
  });

  it('says why there is no store: the setting, or a store that cannot open', async () => {
    const log = recorder();
    profiler = await startWithStore(
      startProfiler,
      {},
      { path: false, reason: 'fox.profiler.storePath is empty' },
      log,
    );
    assert.equal(
      log.lines[1],
      'info profiler store: none (fox.profiler.storePath is empty); telemetry is kept in memory only',
    );
    await profiler.close();

    // A .vsix has no native modules: the store's driver may not load.
    const noDriver = async (o: ProfilerOptions): Promise<Profiler> => {
      if (o.storePath !== false) throw new Error("Cannot find module 'better-sqlite3'");
      return startProfiler(o);
    };
    const again = recorder();
    profiler = await startWithStore(noDriver, {}, { path: '/w/.fox/fox.db' }, again);
    assert.equal(profiler.storePath, undefined);
    assert.deepEqual(again.lines, [
      `info profiler listening on 127.0.0.1:${profiler.port}`,
      "warn profiler store: none (/w/.fox/fox.db could not be opened: Cannot find module 'better-sqlite3'); telemetry is kept in memory only",
    ]);
  });
});
