import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FoxConfigError } from '../../src/errors/errors.js';
import { fox } from '../../src/runtime/fox.js';
import { runtime } from '../../src/runtime/runtime.js';
import { startReceiver, type Receiver } from '../guardian/notifications/receiver.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) {
      const detail = JSON.stringify({ status: fox.tuner.status(), history: fox.tuner.history() });
      throw new Error(`timed out waiting for ${what}: ${detail.slice(0, 20000)}`);
    }
    await sleep(20);
  }
}

// The tuner as a user meets it: real tasks, a real store file, the guardian deciding with a
// quorum of two, real time. The dependency answers in ~2 ms, except every 5th attempt that
// hangs for 3 s; the task starts with a 1 s timeout, so those calls wait a second before the
// retry. The tuner should find a short timeout (bounded below at 50 ms) and get it adopted.
describe('tuner end to end', function () {
  this.timeout(60_000);
  let dir: string;
  let webhook: Receiver;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fox-tuner-'));
    webhook = await startReceiver();
  });
  afterEach(async () => {
    await runtime().reset();
    await webhook.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses tune without a store, with a typed error naming the option', () => {
    assert.throws(
      () => fox.configure({ tune: true }),
      (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === 'tune',
    );
    assert.equal(fox.tuner.running, false);
  });

  it('adopts through a guardian quorum, never touches a pinned policy, and rolls back a regression', async () => {
    fox.configure({
      store: join(dir, 'fox.db'),
      guardian: { approvers: ['alice', 'bob'], required: 2, rules: [], default: 'people' },
      notifications: { webhooks: [{ url: webhook.url }] },
      tune: {
        canary: 0.5,
        minPerArm: 30,
        maxPerArm: 300,
        recordCalls: 150,
        watchCalls: 60,
        cooldownMs: 300,
        tickMs: 20,
        seed: 7,
        impact: 'high',
      },
    });
    let n = 0;
    let slowAll = 0;
    const f = fox(
      {
        id: 'tuner-e2e#dep',
        timeout: 1000,
        retry: { attempts: 3, delay: 1, budget: false },
        tune: { timeout: { min: 50, max: 5000 }, retry: false },
      },
      async function dep() {
        n++;
        await sleep(slowAll || (n % 5 === 0 ? 3000 : 2));
        return n;
      },
    );
    const load = setInterval(() => void f().catch(() => undefined), 4);
    try {
      assert.equal(fox.tuner.running, true);
      const [st] = fox.tuner.status('tuner-e2e#dep');
      assert.deepEqual(st?.genome, { 'timeout.ms': 1000 });
      assert.deepEqual(st?.pinned, ['retry']);

      const proposal = await until('a tuner proposal', () =>
        runtime()
          .guardianRuntime!.guardian.list({ state: 'pending' })
          .find((p) => p.proposer === 'tuner'),
      );
      assert.equal(proposal.kind, 'policy-change');
      assert.deepEqual(proposal.payload, { policy: 'timeout', config: { ms: 50 } });
      const ev = proposal.evidence as {
        samples: { control: number; candidate: number };
        test: { z: number; alpha: number; effectInterval: number[] };
        fitness: { before: number; after: number };
      };
      assert.ok(ev.samples.control >= 30 && ev.samples.candidate >= 30, JSON.stringify(ev.samples));
      assert.ok(ev.test.z > 0 && ev.test.alpha === 0.05);
      assert.ok(ev.fitness.after >= ev.fitness.before * 0.9, JSON.stringify(ev.fitness));
      const task = runtime().registry.get('tuner-e2e#dep')!;
      assert.equal(task.policyChain!.get('timeout')!.config.ms, 1000, 'nothing applied yet');

      // The dependency slows down for good (80 ms: past the proposed timeout) before the vote.
      slowAll = 80;
      const g = runtime().guardianRuntime!.guardian;
      const first = await g.approve(proposal.id, {
        approver: 'alice',
        payloadHash: proposal.payloadHash,
      });
      assert.equal(first.state, 'pending', 'one approval of two');
      assert.equal(task.policyChain!.get('timeout')!.config.ms, 1000);
      const second = await g.approve(proposal.id, {
        approver: 'bob',
        payloadHash: proposal.payloadHash,
      });
      assert.equal(second.state, 'applied', second.reason ?? '');
      assert.equal(task.policyChain!.get('timeout')!.config.ms, 50);

      // The watch window sees the regression and goes back to 1000 ms on its own.
      const rolled = await until('a rollback', () =>
        fox.tuner.history('tuner-e2e#dep').find((x) => x.decision === 'rolled-back'),
      );
      assert.equal(task.policyChain!.get('timeout')!.config.ms, 1000);
      const history = fox.tuner.history('tuner-e2e#dep');
      const adopted = history.find((x) => x.decision === 'adopted')!;
      const baseline = history[0]!;
      assert.equal(baseline.decision, 'baseline');
      assert.deepEqual(
        adopted.change && {
          gene: adopted.change.gene,
          from: adopted.change.from,
          to: adopted.change.to,
        },
        {
          gene: 'timeout.ms',
          from: 1000,
          to: 50,
        },
      );
      assert.equal(adopted.proposalId, proposal.id);
      assert.equal(rolled.parentId, adopted.id);
      assert.deepEqual(rolled.genome, { 'timeout.ms': 1000 });
      // Every decision is in the hash-chained audit log.
      const audit = runtime().guardianRuntime!.audit;
      const entries = audit.entries();
      assert.ok(
        entries.some((e) => e.id === adopted.auditEntryId),
        'adoption audited',
      );
      const rb = entries.find((e) => e.id === rolled.auditEntryId);
      assert.equal(rb?.type, 'tuner-rollback');
      assert.equal(audit.verify().ok, true);
      // The pinned retry policy was never proposed nor changed.
      assert.ok(history.every((x) => x.change === null || x.change.gene === 'timeout.ms'));
      assert.equal(task.policyChain!.get('retry')!.config.attempts, 3);
      assert.equal(fox.tuner.status('tuner-e2e#dep')[0]?.currentGeneration, rolled.id);
      // The guardian's webhooks announce the rollback of the proposal that adopted the change.
      const announced = await until('the rolled-back webhook', () =>
        webhook.received
          .map((r) => JSON.parse(r.body) as { event: string; proposal: { id: string } })
          .find((b) => b.event === 'proposal.rolled-back'),
      );
      assert.equal(announced.proposal.id, proposal.id);
    } finally {
      clearInterval(load);
    }
  });
});
