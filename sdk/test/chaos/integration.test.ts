import assert from 'node:assert/strict';
import { ChaosForge, type ChaosHost } from '../../src/chaos/forge.js';
import { chaosTargetOf } from '../../src/runtime/chaos-target.js';
import { Guardian } from '../../src/guardian/guardian.js';
import { fox } from '../../src/runtime/fox.js';
import { runtime } from '../../src/runtime/runtime.js';
import { makeEnv, type Env } from '../guardian/fixtures.js';
import { GUARDIAN_TABLES } from '../../src/guardian/guardian-schema.js';
import { CHAOS_REPORTS } from '../../src/chaos/report-store.js';

const host: ChaosHost = {
  tasks: () => runtime().registry.all().map(chaosTargetOf),
  stats: () => runtime().stats(),
};

describe('chaos forge on real tasks, through the guardian', () => {
  let env: Env;
  let guardian: Guardian;
  let forge: ChaosForge;
  beforeEach(() => {
    env = makeEnv();
    env.clock.t = Date.now();
    guardian = new Guardian({
      db: env.store.use(GUARDIAN_TABLES),
      audit: env.audit,
      policy: {
        approvers: ['alice'],
        required: 1,
        rules: [{ kind: 'chaos-experiment', decide: 'people' }],
      },
    });
    forge = new ChaosForge({ host, guardian, reports: env.store.use(CHAOS_REPORTS) });
  });
  afterEach(async () => {
    forge.dispose();
    guardian.close();
    env.cleanup();
    await runtime().reset();
  });

  const exp = {
    name: 'errors under fallback',
    seed: 1,
    hypothesis: { probes: [] },
    method: [{ fault: { type: 'error' }, target: { tasks: ['chaos-test#*'], rate: 0.5 } }],
    baselineMs: 30,
    durationMs: 60,
    recoveryMs: 30,
  };

  it('starts only once approved; faults hit attempts inside the policies; report saved', async () => {
    let fallbacks = 0;
    const f = fox(
      { id: 'chaos-test#f', fallback: () => (fallbacks++, 'fallback') },
      async (x: number) => x * 2,
    );
    const run = await forge.start(exp);
    assert.equal(run.state, 'pending');
    assert.equal(await f(2), 4); // nothing injected before approval
    const p = guardian.list({ state: 'pending' })[0]!;
    assert.equal(p.kind, 'chaos-experiment');
    await guardian.approve(p.id, { approver: 'alice', payloadHash: p.payloadHash });
    assert.equal(run.state, 'running');
    const stop = Date.now() + 150;
    const results: unknown[] = [];
    while (Date.now() < stop) {
      results.push(await f(1));
      await new Promise((r) => setTimeout(r, 1));
    }
    const report = await run.done;
    assert.equal(report.outcome, 'completed');
    assert.ok(fallbacks > 0, 'injected errors were caught by the fallback policy');
    assert.ok(results.every((r) => r === 2 || r === 'fallback'));
    const t = report.tasks['chaos-test#f']!;
    assert.equal(t.before.injected, 0);
    assert.ok(t.during.injected > 0);
    assert.equal(t.after.injected, 0);
    assert.ok(t.during.fallbackRate!.value > 0);
    assert.equal(env.store.use(CHAOS_REPORTS).get(report.experimentId)?.outcome, 'completed');
    // Detached: the task is back to its plain pipeline.
    assert.equal(runtime().registry.get('chaos-test#f')!.chaos, undefined);
    const types = env.audit.entries().map((e) => e.type);
    assert.deepEqual(types, ['proposal', 'approval', 'decision', 'applied']);
  });

  it('a denied experiment injects nothing', async () => {
    guardian.setPolicy({
      approvers: ['alice'],
      rules: [{ kind: 'chaos-experiment', decide: 'deny' }],
    });
    fox({ id: 'chaos-test#g' }, async () => 1);
    const run = await forge.start(exp);
    assert.equal(run.state, 'denied');
    await assert.rejects(run.done, /not started/);
    assert.equal(runtime().registry.get('chaos-test#g')!.chaos, undefined);
  });
});
