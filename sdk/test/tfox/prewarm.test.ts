import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { detectTsxApi } from '../../src/modes/tfox/module-target.js';
import { resolvePoolOptions, type PoolOptions } from '../../src/modes/tfox/pool-options.js';
import { PoolJob, type WorkerFunction } from '../../src/modes/tfox/pool-job.js';
import { ThreadPool, type ModuleLoad, type PoolStats } from '../../src/modes/tfox/pool.js';
import { fakeClock, type TestClock } from '../wfox/fake-clock.js';

/**
 * Prewarm: once a tfox task is registered, the pool starts workers and has them import the
 * task's module, so the first calls do not wait for a thread and an import. Programs are run
 * as fresh processes (registration, the event loop's turns and exit are what is tested); the
 * pool's scheduling is tested on ThreadPool directly.
 */

const CHILD = fileURLToPath(new URL('./fixtures/prewarm-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface ChildRun<T> {
  out: T;
  /** From the child's last line of output to its exit. */
  exitAfterMs: number;
  code: number | null;
}

function runChild<T>(...args: string[]): Promise<ChildRun<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', TSX, '--conditions=source', CHILD, ...args],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    let text = '';
    let lastAt = performance.now();
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      lastAt = performance.now();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = text.trim().split('\n').pop();
      if (!last) return reject(new Error(`child ${args.join(' ')} printed nothing (${code})`));
      resolve({ out: JSON.parse(last) as T, exitAfterMs: performance.now() - lastAt, code });
    });
  });
}

interface FirstCall {
  poolInRegisteringTick: boolean;
  loadMs: number;
  callMs: number;
  before: PoolStats | undefined;
  after: PoolStats;
}

describe('tfox prewarm', function () {
  this.timeout(60_000);

  describe('in a program', () => {
    it('serves the first call after registration and a short idle wait on a worker that has imported the module', async () => {
      const { out } = await runChild<FirstCall>('first', 'on');
      assert.equal(out.poolInRegisteringTick, false, 'nothing started while registering');
      const before = out.before!;
      assert.ok(before.started >= 1 && before.modulesLoaded >= 1, JSON.stringify(before));
      assert.equal(out.after.started, before.started, 'the call started no worker');
      assert.equal(out.after.callsWaitedForModule, 0, 'the call did not wait for an import');
      // The import took loadMs; the call did not pay for it (20 ms of work, plus messaging).
      assert.ok(out.callMs < out.loadMs, `call ${out.callMs} ms, import ${out.loadMs} ms`);
    });

    it('(without prewarm, the first call starts the worker and waits for the import)', async () => {
      const { out } = await runChild<FirstCall>('first', 'off');
      assert.equal(out.before, undefined, 'no pool before the call');
      assert.equal(out.after.started, 1);
      assert.equal(out.after.callsWaitedForModule, 1);
    });

    it('never keeps the program alive, even while a worker is importing', async () => {
      const run = await runChild<{ poolInRegisteringTick: boolean; stats: PoolStats }>('exit');
      assert.equal(run.out.poolInRegisteringTick, false);
      assert.equal(run.out.stats.started, 1, 'a worker had started');
      assert.equal(run.out.stats.modulesLoaded, 0, 'and was still importing');
      assert.equal(run.code, 0);
      // A worker holding the process would keep it for good (it is under minThreads).
      assert.ok(run.exitAfterMs < 5_000, `exited ${run.exitAfterMs} ms after its last output`);
    });

    it('starts no worker when the program ends, or shuts fox down, in the tick that registered', async () => {
      assert.deepEqual((await runChild<{ started: number }>('never')).out, { started: 0 });
      assert.deepEqual((await runChild<{ started: number }>('shutdown')).out, { started: 0 });
    });

    it('respects the pool settings, also when they are given after registration', async () => {
      type Config = { pool?: null; replaced: boolean; stats: PoolStats };
      const config = async (mode: string, pool: PoolOptions) =>
        (await runChild<Config>(mode, JSON.stringify(pool))).out;

      let r = await config('config', { maxThreads: 1 });
      assert.deepEqual([r.stats.started, r.stats.threads], [1, 1], 'maxThreads bounds prewarm');
      r = await config('config', { maxThreads: 3, prewarm: 2 });
      assert.deepEqual([r.stats.started, r.stats.modulesLoaded], [2, 2], 'prewarm: 2');
      r = await config('config', { maxThreads: 2, prewarm: 8 });
      assert.equal(r.stats.started, 2, 'never above maxThreads');
      assert.deepEqual(await config('config', { prewarm: false }), { pool: null });
      // Given after prewarm has started (before any call): the pool is replaced.
      r = await config('config-late', { maxThreads: 3, prewarm: 3 });
      assert.equal(r.replaced, true);
      assert.deepEqual([r.stats.started, r.stats.modulesLoaded], [3, 3]);
    });
  });

  describe('the pool', () => {
    const tsx = detectTsxApi();
    const moduleUrl = new URL('./fixtures/pool-tasks.ts', import.meta.url).href;
    const fn = (index: number, name: string): WorkerFunction => ({
      index,
      taskId: `pool-tasks#${name}`,
      moduleUrl,
      locationKey: '',
      names: [name],
    });
    const spin = fn(0, 'spin');
    let pool: ThreadPool | undefined;
    const open = (options: PoolOptions, clock?: TestClock) =>
      (pool = new ThreadPool(resolvePoolOptions(options as never), tsx, clock));
    afterEach(async () => {
      await pool?.close();
      pool = undefined;
    });

    class Probe extends PoolJob {
      constructor(
        args: unknown[],
        readonly done: (ok: boolean, value: unknown) => void,
      ) {
        super(spin, args, 0, undefined);
      }
      settle(ok: boolean, value: unknown): void {
        this.done(ok, value);
      }
    }
    const call = (p: ThreadPool, ms: number) =>
      new Promise<number>((resolve, reject) =>
        p.submit(new Probe([ms], (ok, v) => (ok ? resolve(v as number) : reject(v)))),
      );
    const loads = (p: ThreadPool, n: number) =>
      new Promise<ModuleLoad[]>((resolve) => {
        const seen: ModuleLoad[] = [];
        const sub = p.onModuleLoad((e) => {
          seen.push(e);
          if (seen.length < n) return;
          sub.dispose();
          resolve(seen);
        });
      });

    it('imports one module at a time: the next prewarmed worker starts when the last is done', async () => {
      const p = open({ minThreads: 1, maxThreads: 3, prewarm: 3 });
      const started: number[] = [];
      p.onThreadStart(() => started.push(p.stats().modulesLoaded));
      const all = loads(p, 3);
      p.prewarm([spin]);
      await all;
      // Each worker started once every import before it had finished.
      assert.deepEqual(started, [0, 1, 2]);
      assert.equal(p.stats().threads, 3);
    });

    it('keeps calls off a worker that is still importing while a ready one exists', async () => {
      const p = open({ minThreads: 1, maxThreads: 2, prewarm: 1 });
      const ready = loads(p, 1);
      p.prewarm([spin]);
      const warm = (await ready)[0]!.threadId;
      // Far more than the warm worker's window: the pool grows, and the new worker imports.
      const grown = loads(p, 1);
      const first = await Promise.all(Array.from({ length: 8 }, () => call(p, 5)));
      assert.equal(p.stats().started, 2, 'the pool grew');
      assert.deepEqual(new Set(first), new Set([warm]), 'calls did not wait on the new worker');
      assert.equal(p.stats().callsWaitedForModule, 0);
      // Once it has imported, it takes calls like the other.
      await grown;
      const later = await Promise.all(Array.from({ length: 40 }, () => call(p, 2)));
      assert.equal(new Set(later).size, 2);
    });

    it('stops prewarmed workers above minThreads after idleTimeoutMs without a call', async () => {
      const clock = fakeClock();
      const p = open({ minThreads: 1, maxThreads: 3, prewarm: 3, idleTimeoutMs: 5_000 }, clock);
      const all = loads(p, 3);
      p.prewarm([spin]);
      await all;
      assert.equal(p.stats().threads, 3);
      clock.tick(5_000);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual([p.stats().threads, p.stats().exited.idle], [1, 2]);
    });
  });
});
