import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fox, FOX_TASK, proposalHistory, setProposalHandler } from '@fox/sdk';
import {
  AutoController,
  autoControllerOf,
  clearStaticHints,
  loopTrackingActive,
} from '../../src/modes/auto/index.js';
import { runtime } from '../../src/runtime/runtime.js';
import type { Task } from '../../src/task/task.js';
import { fakeTask, installFakeTime, type FakeTime } from './fake-time.js';
import { fakeClock, heldOnFakeClock } from './fixtures/workload.js';

/**
 * End to end through real `fox({ mode: 'auto' })` tasks: what a user sees. How auto decides is
 * tested on fake time in auto-step.test.ts (the state machine) and express.test.ts (the
 * adapter's counts). These run on fake wall and CPU clocks too (fake-time.ts): a "20 ms" call
 * takes no real time and measures exactly 20 ms, so a loaded machine cannot change a verdict
 * (at a load of 20 on 2 cores, a real 20 ms spin got ~2 ms of CPU and no longer looked strong).
 */
const task = (heldOnFakeClock as unknown as { [FOX_TASK]: Task })[FOX_TASK];
const settle = () => new Promise((r) => setTimeout(r, 20));
/** 40× the threshold: a run of 3 such calls decides. */
const BLOCK_MS = 20;

describe('auto: end to end', function () {
  this.timeout(60_000);
  let time: FakeTime;
  beforeEach(() => {
    time = installFakeTime();
    fakeClock.spend = (ms) => time.spend(ms);
  });
  afterEach(() => {
    fakeClock.spend = () => undefined;
    time.uninstall();
  });
  after(() => runtime().reset());

  it('keeps light calls on the event loop, and stops sampling once they confirm it', async () => {
    const light = fakeTask(time);
    const t = (light as unknown as { [FOX_TASK]: Task })[FOX_TASK];
    const start = proposalHistory().length;
    // Three windows measure the loop without hooks, two sampled ones confirm sfox.
    for (let i = 0; i < 5 * 16; i++) await light(0.01);
    for (let i = 0; i < 200; i++) await light(0.01);
    await settle();
    assert.equal(t.current, 'sfox');
    assert.equal(proposalHistory().length, start, 'nothing proposed');
    const c = autoControllerOf(t)!;
    assert.equal(c.phase, 'watching');
    assert.ok(c.settled);
    assert.equal(loopTrackingActive(), false, 'no async hooks left on');
  });

  it('moves calls that block the loop to tfox within a few calls', async () => {
    await task.setStrategy('sfox');
    autoControllerOf(task)!.reset();
    const start = proposalHistory().length;
    for (let i = 0; i < 8 && task.current === 'sfox'; i++) await heldOnFakeClock(BLOCK_MS);
    await settle();
    const made = proposalHistory().slice(start);
    assert.deepEqual(
      made.map((r) => `${r.proposal.from}->${r.proposal.to}:${r.decision}`),
      ['sfox->tfox:applied'],
    );
    assert.equal(task.current, 'tfox');
    const e = made[0]!.proposal.evidence;
    assert.equal(e.source, 'runtime');
    assert.ok(e.calls! <= 3 && e.syncMs! >= BLOCK_MS, JSON.stringify(e));
  });

  it('follows the guardian: a pending change once approved, and the static hint', async () => {
    await task.setStrategy('sfox');
    const c = autoControllerOf(task)!;
    c.reset();
    const held: (() => Promise<void>)[] = [];
    const hook = setProposalHandler((_p, apply) => {
      held.push(apply);
      return 'pending';
    });
    try {
      for (let i = 0; i < 24; i++) await heldOnFakeClock(BLOCK_MS);
      assert.equal(held.length, 1, 'the pending change is not proposed again');
      assert.equal(task.current, 'sfox');
      await held[0]!();
      assert.equal(task.current, 'tfox', 'approved later: applied');
      assert.equal(c.phase, 'cooling', 'and judged afresh after a cooldown');
    } finally {
      hook.dispose();
    }

    const root = mkdtempSync(join(tmpdir(), 'fox-auto-'));
    try {
      mkdirSync(join(root, '.fox'));
      writeFileSync(
        join(root, '.fox', 'analysis.json'),
        JSON.stringify({ functions: [{ id: 'hinted', recommendedMode: 'mfox' }] }),
      );
      clearStaticHints();
      fox.configure({ root });
      const hinted = fox({ mode: 'auto', id: 'hinted' }, async () => 1);
      await settle();
      assert.equal(fox.tasks().find((t) => t.id === 'hinted')!.current, 'mfox');
      assert.equal(await hinted(), 1);
      assert.equal(proposalHistory().at(-1)!.proposal.evidence.source, 'static');
    } finally {
      rmSync(root, { recursive: true, force: true });
      clearStaticHints();
    }
  });

  it('keeps the mode inside the hysteresis band between demote and promote thresholds', () => {
    const c = new AutoController();
    const band = { ioShare: 0, fanOut: 1 };
    assert.equal(c.target('sfox', { syncMs: 0.3, ...band }), 'sfox', 'not promoted at 0.3 ms');
    assert.equal(c.target('tfox', { syncMs: 0.3, ...band }), 'tfox', 'not demoted at 0.3 ms');
    assert.equal(c.target('tfox', { syncMs: 0.1, ...band }), 'sfox');
    const io = { syncMs: 0.01, wallMs: 5, ioShare: 0.9, fanOut: 6 };
    assert.equal(c.target('sfox', io), 'sfox', 'fan-out 6 does not enter mfox');
    assert.equal(c.target('mfox', io), 'mfox', 'nor does it leave it');
  });
});
