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
import {
  BACKEND_CAPACITY,
  burnPerMs,
  contended,
  heavyOnWorker,
  lateWork,
  slowOnWorker,
  work,
  type Kind,
} from './fixtures/workload.js';

const task = (work as unknown as { [FOX_TASK]: Task })[FOX_TASK];
const settle = () => new Promise((r) => setTimeout(r, 20));

async function drive(kind: Kind, ms: number, calls: number, fanOut = 1): Promise<void> {
  for (let i = 0; i < calls; i += fanOut) {
    await Promise.all(Array.from({ length: fanOut }, () => work(kind, ms)));
  }
  await settle();
}

describe('auto: strategy selection with hysteresis', function () {
  this.timeout(60_000);
  before(() => fox.configure({ lanes: { 'auto-fixture': { limit: BACKEND_CAPACITY } } }));
  after(() => runtime().reset());

  it('follows a workload that changes character, one proposal per switch', async () => {
    const start = proposalHistory().length;
    await drive('light', 0, 80);
    assert.equal(task.current, 'sfox', 'light calls stay on the event loop');

    // A baseline of ≥ 250 ms busy (125 calls), then two sampled windows that want tfox.
    await drive('cpu', 2, 192);
    assert.equal(task.current, 'tfox', 'blocking calls are promoted to worker threads');

    // ~100 light calls, or ~550 when they arrive while tfox is on trial (seen in 2 of 6 runs):
    // the trial then waits out its 32 windows, since light calls in a worker add busy time slowly.
    for (let i = 0; i < 640 && task.current !== 'sfox'; i += 16) await drive('light', 0, 16);
    assert.equal(task.current, 'sfox', 'light again: demoted');

    // Twice the backend's capacity in flight: 20 ms a call directly, 5 ms in a lane (after 5
    // in its queue). Driven until the lane's trial is over.
    const c = autoControllerOf(task)!;
    for (let i = 0; i < 40 && !(task.current === 'mfox' && c.settled); i++) {
      await drive('io', 5, 64, 2 * BACKEND_CAPACITY);
    }
    assert.equal(task.current, 'mfox', 'high fan-out I/O goes to an I/O lane, and stays');

    const switches = proposalHistory().slice(start);
    assert.deepEqual(
      switches.map((r) => `${r.proposal.from}->${r.proposal.to}:${r.decision}`),
      ['sfox->tfox:applied', 'tfox->sfox:applied', 'sfox->mfox:applied'],
    );
    const promote = switches[0]!.proposal;
    assert.equal(promote.kind, 'strategy-change');
    assert.equal(promote.evidence.source, 'runtime');
    assert.ok(promote.evidence.syncMs! >= 0.5, JSON.stringify(promote.evidence));
  });

  it('does not flap when the workload alternates faster than the confirmation window', async () => {
    await task.setStrategy('sfox');
    autoControllerOf(task)!.reset();
    const start = proposalHistory().length;
    const window = autoControllerOf(task)!.thresholds.window;
    for (let round = 0; round < 6; round++) {
      await drive(round % 2 ? 'light' : 'cpu', 2, window);
    }
    assert.equal(proposalHistory().length, start, 'no switch');
    assert.equal(task.current, 'sfox');
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

  it('promotes compute that runs after an await, and keeps it in tfox without flapping', async () => {
    const LATE_MS = 8;
    const late = (lateWork as unknown as { [FOX_TASK]: Task })[FOX_TASK];
    const start = proposalHistory().length;
    // 8 ms: a sequential caller pays a worker's wake-ups (≈0.3 ms here, more on a busy
    // machine), which must stay well inside the trial's 10% margin for tfox.
    for (let i = 0; i < 96; i++) await lateWork(LATE_MS);
    await settle();
    assert.equal(late.current, 'tfox', 'the 8 ms after the await block the loop like any other');
    const promote = proposalHistory().slice(start)[0]!.proposal;
    assert.equal(promote.to, 'tfox');
    assert.ok(promote.evidence.syncMs! < 0.5, `first segment ${promote.evidence.syncMs}`);
    assert.ok(promote.evidence.longestMs! >= 0.5, `longest ${promote.evidence.longestMs}`);

    // In the worker only the part before the await is measured; it must not look light there.
    for (let i = 0; i < 96; i++) await lateWork(LATE_MS);
    await settle();
    assert.equal(late.current, 'tfox');
    assert.equal(proposalHistory().length, start + 1, 'one switch, no flapping');
  });

  it('samples whole calls only while evaluating, then watches cheap timings for drift', async () => {
    await task.setStrategy('sfox');
    const c = autoControllerOf(task)!;
    c.reset();
    const window = c.thresholds.window;
    assert.equal(c.phase, 'evaluating');
    // Three windows measure the loop without hooks, then `settle` sampled windows confirm.
    await drive('light', 0, window * (3 + c.thresholds.settle));
    assert.equal(c.phase, 'watching', 'the mode is confirmed: stop sampling');
    assert.equal(loopTrackingActive(), false);
    await drive('light', 0, window * 2);
    assert.equal(c.phase, 'watching', 'nothing changed');
    // Twice as slow on the wall clock (and more than demoteMs): the workload changed character.
    await drive('io', 2, window, 1);
    assert.equal(c.phase, 'evaluating');
    assert.equal(task.current, 'sfox', 'drift alone switches nothing');
  });

  it('routes proposals through the hook: a denied change is recorded and not applied', async () => {
    await task.setStrategy('sfox');
    autoControllerOf(task)!.reset();
    const seen: string[] = [];
    const hook = setProposalHandler((p) => {
      seen.push(`${p.kind}:${p.to}`);
      return 'denied';
    });
    try {
      await drive('cpu', 2, 160);
      assert.equal(task.current, 'sfox');
      assert.deepEqual(seen, ['strategy-change:tfox'], 'a denied change is not proposed again');
      assert.equal(proposalHistory().at(-1)!.decision, 'denied');
    } finally {
      hook.dispose();
    }
  });

  it('proposes a change once while people decide, and follows it when they approve', async () => {
    await task.setStrategy('sfox');
    const c = autoControllerOf(task)!;
    c.reset();
    const held: (() => Promise<void>)[] = [];
    const hook = setProposalHandler((_p, apply) => {
      held.push(apply);
      return 'pending';
    });
    try {
      await drive('cpu', 2, 160);
      assert.equal(held.length, 1, 'the pending change is not proposed again');
      assert.equal(task.current, 'sfox');
      await held[0]!();
      assert.equal(task.current, 'tfox', 'approved later: applied');
      assert.equal(c.phase, 'cooling', 'and judged afresh after a cooldown');
      await drive('cpu', 2, 96);
      assert.equal(task.current, 'tfox');
      assert.equal(held.length, 1);
    } finally {
      hook.dispose();
    }
  });

  it('tries a switch and goes back when callers wait longer in the new mode', async () => {
    const slow = (slowOnWorker as unknown as { [FOX_TASK]: Task })[FOX_TASK];
    const c = autoControllerOf(slow)!;
    // Calls made while auto is paused (as a benchmark times modes) are no evidence: the 5 ms
    // ones must not count in the latency the trial compares against.
    c.paused = true;
    for (let i = 0; i < 20; i++) await slowOnWorker(5);
    c.paused = false;
    c.reset();
    const start = proposalHistory().length;
    // The mode in use is measured over ≥ 250 ms of calls before anything is proposed: over
    // ~100 ms a corpus task's busy time per call came out 1.32–1.86 ms in successive runs.
    for (let i = 0; i < 150; i++) await slowOnWorker(1);
    assert.equal(proposalHistory().length, start, 'no switch on 150 ms of evidence');
    // Then sampled windows, the switch, and ≥ 250 ms of trial at 8 ms a call.
    for (let i = 0; i < 250; i++) await slowOnWorker(1);
    await settle();
    const switches = proposalHistory()
      .slice(start)
      .map((r) => r.proposal);
    assert.deepEqual(
      switches.map((p) => `${p.from}->${p.to}`),
      ['sfox->tfox', 'tfox->sfox'],
      'promoted for its 1 ms on the loop, then back: 8× slower on a worker',
    );
    const back = switches[1]!;
    assert.equal(back.evidence.trial?.mode, 'tfox');
    assert.ok(back.evidence.trial!.msPerCall > 2 * back.evidence.trial!.fromMsPerCall);
    assert.ok(back.evidence.trial!.fromMsPerCall < 1.5, JSON.stringify(back.evidence.trial));
    assert.match(back.reason, /on trial/);
    assert.equal(slow.current, 'sfox');
    // Held off: more of the same workload proposes nothing, and sfox is confirmed.
    for (let i = 0; i < 400; i++) await slowOnWorker(1);
    assert.equal(proposalHistory().length, start + 2);
    assert.ok(c.settled, 'settled in sfox');
    // The hold is for calls of that shape: calls three times as long get their own trial.
    for (let i = 0; i < 400 && proposalHistory().length < start + 4; i++) await slowOnWorker(3);
    await settle();
    assert.deepEqual(
      proposalHistory()
        .slice(start + 2)
        .map((r) => `${r.proposal.from}->${r.proposal.to}`),
      ['sfox->tfox', 'tfox->sfox'],
    );
  });

  it('tries a switch made on a short run of strong calls too, and undoes and holds it', async () => {
    const heavy = (heavyOnWorker as unknown as { [FOX_TASK]: Task })[FOX_TASK];
    const start = proposalHistory().length;
    const switches = () =>
      proposalHistory()
        .slice(start)
        .map((r) => r.proposal);
    // 20 ms of CPU a call (40× the threshold), whatever the load: a run of 3 proposes tfox.
    const rounds = Math.round(20 * burnPerMs());
    for (let i = 0; i < 8 && switches().length === 0; i++) await heavyOnWorker(rounds);
    const promote = switches()[0];
    assert.equal(promote?.to, 'tfox', 'proposed within 8 calls');
    assert.ok(promote.evidence.calls! <= 8, JSON.stringify(promote.evidence));
    // The trial: a cooldown, then ≥ 3 windows and 250 ms in tfox, at twice the time a call.
    for (let i = 0; i < 400 && switches().length < 2; i++) await heavyOnWorker(rounds);
    await settle();
    assert.deepEqual(
      switches().map((p) => `${p.from}->${p.to}`),
      ['sfox->tfox', 'tfox->sfox'],
    );
    // Compared with the run's own latency, which the trial's (twice the work) clearly exceeds.
    const trial = switches()[1]!.evidence.trial!;
    assert.ok(trial.fromMsPerCall >= 15, JSON.stringify(trial));
    assert.ok(trial.msPerCall > 1.5 * trial.fromMsPerCall, JSON.stringify(trial));
    assert.equal(heavy.current, 'sfox');
    // Held off: more of the same, strong as it is, proposes nothing.
    for (let i = 0; i < 100; i++) await heavyOnWorker(rounds);
    assert.equal(switches().length, 2, JSON.stringify(switches().at(-1)));
  });

  it('keeps an I/O lane only when its callers wait clearly less in it', async () => {
    const io = (contended as unknown as { [FOX_TASK]: Task })[FOX_TASK];
    const c = autoControllerOf(io)!;
    const fanOut = 2 * BACKEND_CAPACITY;
    /** Closed loop: `fanOut` callers, each calling again as soon as its call returns. */
    const run = async (
      exponent: number,
      until: (switches: number) => boolean,
    ): Promise<string[]> => {
      await io.setStrategy('sfox');
      // The first calls start as the others ramp up and wait less: not in auto's baseline.
      c.paused = true;
      let start = Infinity;
      let calls = 0;
      const caller = async (): Promise<void> => {
        while (calls < 4000 && !until(proposalHistory().length - start)) {
          if (++calls === 2 * fanOut) {
            c.paused = false;
            c.reset();
            start = proposalHistory().length;
          }
          await contended(40, exponent);
        }
      };
      await Promise.all(Array.from({ length: fanOut }, caller));
      await settle();
      return proposalHistory()
        .slice(start)
        .map((r) => `${r.proposal.from}->${r.proposal.to}`);
    };
    // Twice the backend's capacity in flight: in sfox each call waits 40 × 2^1.12 ≈ 87 ms; in
    // a lane 40 ms, after about 40 in its queue. Callers wait ≈ 5% less there: not worth a lane.
    const back = await run(1.12, (switches) => switches >= 2);
    assert.deepEqual(back, ['sfox->mfox', 'mfox->sfox']);
    const trial = proposalHistory().at(-1)!.proposal.evidence.trial!;
    assert.equal(trial.mode, 'mfox');
    assert.ok(trial.msPerCall < trial.fromMsPerCall, `faster, yet… ${JSON.stringify(trial)}`);
    assert.ok(trial.msPerCall > 0.9 * trial.fromMsPerCall, JSON.stringify(trial));
    assert.equal(io.current, 'sfox');
    // A backend that degrades steeply (2^1.6: 121 ms a call in sfox): a third less in the lane.
    const kept = await run(1.6, () => io.current === 'mfox' && c.settled);
    assert.deepEqual(kept, ['sfox->mfox']);
    assert.equal(io.current, 'mfox');
  });

  it('starts from the static hint in .fox/analysis.json', async () => {
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
});
