import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentInput } from '../../src/chaos/experiment.js';
import { ChaosForge, type ChaosHost, type ChaosTarget } from '../../src/chaos/forge.js';
import {
  ChaosKillSwitchError,
  KILL_POLL_MS,
  clearKillFile,
  killFilePath,
  readKillFile,
  watchKillFile,
  writeKillFile,
} from '../../src/chaos/kill-switch.js';
import type { StatsSnapshot } from '../../src/protocol/stats.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';
import { chaosMain } from '../../src/cli/chaos.js';

const CHILD = fileURLToPath(new URL('./fixtures/kill-child.ts', import.meta.url));
/** tsx's loader by URL: the children run in a temp dir, where `--import tsx` would not resolve. */
const TSX = import.meta.resolve('tsx');

function experiment(over: Partial<ExperimentInput> = {}): ExperimentInput {
  return {
    name: 'kill me',
    seed: 7,
    impact: 'low',
    hypothesis: { probes: [] },
    method: [{ fault: { type: 'error' }, target: { tasks: ['kill-child#*'], rate: 1 } }],
    baselineMs: 0,
    durationMs: 120_000,
    recoveryMs: 0,
    ...over,
  };
}

const host: ChaosHost = {
  tasks: (): ChaosTarget[] => [{ id: 'kill-child#work', setChaos: () => undefined }],
  stats: () => ({ at: 0, process: {}, tasks: [] }) as unknown as StatsSnapshot,
};

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('chaos kill switch across processes', () => {
  let dir: string;
  let dbPath: string;
  let killFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fox-kill-'));
    dbPath = join(dir, '.fox', 'fox.db');
    mkdirSync(join(dir, '.fox'));
    killFile = killFilePath(dbPath);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives next to the store, is written atomically, and reads back its reason', () => {
    assert.equal(killFile, join(dir, '.fox', 'chaos-kill'));
    assert.equal(readKillFile(killFile), undefined);
    writeKillFile(killFile, 'db is on fire');
    assert.equal(readKillFile(killFile)?.reason, 'db is on fire');
    assert.deepEqual(
      readdirSync(join(dir, '.fox')).filter((f) => f.endsWith('.tmp')),
      [],
    );
    assert.equal(clearKillFile(killFile), true);
    assert.equal(clearKillFile(killFile), false);
    assert.equal(readKillFile(killFile), undefined);
  });

  it('a watch fires once per appearance, from the poll when file events never come', () => {
    const clock = createFakeClock();
    // The directory does not exist yet, so there is nothing to watch: only the poll sees it.
    const missing = join(dir, 'later', 'chaos-kill');
    const reasons: string[] = [];
    const watch = watchKillFile(missing, (r) => reasons.push(r), { clock });
    clock.tick(KILL_POLL_MS * 3);
    assert.deepEqual(reasons, []);
    writeKillFile(missing, 'first');
    clock.tick(KILL_POLL_MS);
    assert.deepEqual(reasons, ['first']);
    clock.tick(KILL_POLL_MS * 5);
    assert.deepEqual(reasons, ['first'], 'still on: not fired again');
    clearKillFile(missing);
    clock.tick(KILL_POLL_MS);
    writeKillFile(missing, 'second');
    clock.tick(KILL_POLL_MS);
    assert.deepEqual(reasons, ['first', 'second']);
    watch.dispose();
    clearKillFile(missing);
    clock.tick(KILL_POLL_MS);
    writeKillFile(missing, 'after dispose');
    clock.tick(KILL_POLL_MS * 3);
    assert.deepEqual(reasons, ['first', 'second']);
  });

  it('kills a running forge when the file appears, refuses while it exists, allows after clear', async () => {
    const forge = new ChaosForge({ host, killFile });
    try {
      const run = await forge.start(experiment());
      assert.equal(run.state, 'running');
      const { io } = captureIo();
      assert.equal(await chaosMain(['kill', '--reason', 'stop now', '--store', dbPath], io), 0);
      const report = await run.done;
      assert.equal(report.outcome, 'killed');
      assert.equal(report.abortReason, 'stop now');
      await assert.rejects(
        forge.start(experiment()),
        (err: unknown) =>
          err instanceof ChaosKillSwitchError &&
          err.code === 'FOX_CHAOS_KILLED' &&
          /stop now/.test(err.message) &&
          /fox chaos kill --clear/.test(err.message),
      );
      assert.equal(await chaosMain(['kill', '--clear', '--store', dbPath], io), 0);
      assert.equal(existsSync(killFile), false);
      const again = await forge.start(experiment({ durationMs: 10 }));
      assert.equal((await again.done).outcome, 'completed');
    } finally {
      forge.dispose();
    }
  });

  it('`fox chaos kill` stops injection in every running process of the project within a bound', async function () {
    this.timeout(60_000);
    const env = {
      ...process.env,
      FOX_STORE: dbPath,
      FOX_CHAOS: JSON.stringify(experiment()),
      FOX_CHAOS_KILL: '',
    };
    const children = [startChild(dir, env), startChild(dir, env)];
    try {
      await Promise.all(children.map((c) => c.next((l) => 'injecting' in l)));
      const { io, out } = captureIo();
      const killAt = Date.now();
      assert.equal(
        await chaosMain(['kill', '--reason', 'cross-process test', '--store', dbPath], io),
        0,
      );
      assert.match(out.join('\n'), /chaos kill switch on/);
      const ends = await Promise.all(children.map((c) => c.next((l) => 'outcome' in l)));
      const BOUND_MS = 1000;
      for (const end of ends) {
        assert.equal(end['outcome'], 'killed');
        assert.equal(end['abortReason'], 'cross-process test');
        assert.ok((end['injected'] as number) > 0);
        const after = (end['lastInjectedAt'] as number) - killAt;
        assert.ok(after <= BOUND_MS, `a fault was injected ${after} ms after the kill`);
      }
      assert.deepEqual(await Promise.all(children.map((c) => c.exit)), [0, 0]);

      // While the file is there, a new process's experiment is refused with a clear error.
      const refused = startChild(dir, env);
      assert.deepEqual(await refused.next(() => true), { run: false });
      assert.equal(await refused.exit, 0);
      assert.match(refused.stderr(), /kill switch: cross-process test/);
      assert.match(refused.stderr(), /fox chaos kill --clear/);
    } finally {
      for (const c of children) c.child.kill('SIGKILL');
    }
  });
});

/** A child running fixtures/kill-child.ts; `next` waits for a JSON line on its stdout. */
function startChild(cwd: string, env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', TSX, '--conditions=source', CHILD],
    { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let err = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += String(d);
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += String(d)));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  void exit.then(() => waiters.splice(0).forEach((w) => w()));
  let seen = 0;
  return {
    child,
    exit,
    stderr: () => err,
    /** The next line (after those already returned) that matches. */
    async next(
      match: (line: Record<string, unknown>) => boolean,
    ): Promise<Record<string, unknown>> {
      for (;;) {
        while (seen < lines.length) {
          const line = lines[seen++]!;
          if (match(line)) return line;
        }
        if (child.exitCode !== null) throw new Error(`child exited ${child.exitCode}: ${err}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
}
