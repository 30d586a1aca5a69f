import assert from 'node:assert/strict';
import { startGuardian } from '../../src/runtime/runtime-guardian.js';
import { WireEventSchema } from '../../src/protocol/wire.js';
import { fox } from '../../src/runtime/fox.js';
import { runtime } from '../../src/runtime/runtime.js';
import { makeEnv, type Env } from './fixtures.js';

describe('startGuardian (runtime wiring)', () => {
  let env: Env;
  afterEach(async () => {
    delete process.env['FOX_CHAOS'];
    await runtime().reset();
    env.cleanup();
  });

  function start(warnings: string[] = []) {
    env = makeEnv();
    const rt = runtime();
    return startGuardian({
      store: env.store,
      storePath: env.dbPath,
      policy: { rules: [{ decide: 'approve' }] },
      getTask: (id) => rt.registry.get(id),
      tasks: () => rt.registry.all(),
      stats: () => rt.stats(),
      warn: (m) => void warnings.push(m),
    });
  }

  it('applies an approved strategy switch and policy change to a live task', async () => {
    const g = start();
    const events: string[] = [];
    const hashes: (string | undefined)[] = [];
    const cited = new Map<string, string | undefined>();
    const sub = g.onWireEvent((e) => {
      events.push(e.kind === 'proposal' ? e.state : e.kind);
      if (e.kind === 'proposal') hashes.push(e.payloadHash);
      if (e.kind === 'proposal') cited.set(e.proposalId, e.auditId);
      assert.equal(WireEventSchema.safeParse(e).success, true);
    });
    const f = fox({ id: 'rg#f', retry: { attempts: 2 } }, async () => 1);
    assert.equal(runtime().registry.get('rg#f')!.current, 'sfox');
    const p = await g.guardian.propose({
      kind: 'strategy-change',
      taskId: 'rg#f',
      payload: { to: 'wfox' },
      impact: 'high',
      proposer: 'auto',
    });
    assert.equal(p.state, 'applied', p.reason ?? '');
    assert.equal(runtime().registry.get('rg#f')!.current, 'wfox');
    const q = await g.guardian.propose({
      kind: 'limiter-change',
      taskId: 'rg#f',
      payload: { config: { max: 64 } },
      impact: 'low',
      proposer: 'tuner',
    });
    assert.equal(q.state, 'applied', q.reason ?? '');
    const r = await g.guardian.propose({
      kind: 'policy-change',
      taskId: 'rg#f',
      payload: { policy: 'retry', config: { attempts: 4 } },
      impact: 'low',
      proposer: 'tuner',
    });
    assert.equal(r.state, 'applied', r.reason ?? '');
    assert.equal(await f(), 1);
    assert.ok(events.includes('applied'), events.join());
    assert.ok(hashes.every((h) => typeof h === 'string' && h.length === 64));
    // Each proposal's last event cites the newest audit entry about it (its application).
    const entries = g.audit.entries();
    for (const id of [p.id, q.id, r.id]) {
      const newest = entries.filter((e) => e.data['proposalId'] === id).at(-1);
      assert.ok(newest, id);
      assert.equal(cited.get(id), newest.id, `${id}: ${newest.type}`);
    }
    sub.dispose();
    g.close();
    assert.ok(g.audit.verify().ok);
  });

  it('sends the proposal and start of a FOX_CHAOS experiment to listeners added on return', async () => {
    process.env['FOX_CHAOS'] = JSON.stringify({
      name: 'at start-up',
      seed: 1,
      hypothesis: { probes: [] },
      method: [{ fault: { type: 'latency', ms: 1 }, target: { tasks: ['rg#*'], rate: 0.1 } }],
      baselineMs: 0,
      durationMs: 60_000,
    });
    const g = start();
    // The run exists as soon as the guardian does (programs look it up right away).
    assert.equal(g.forge.list().length, 1);
    const seen: string[] = [];
    // What the runtime does right after startGuardian returns (runtime.ts).
    const sub = g.onWireEvent((e) =>
      seen.push(
        e.kind === 'proposal'
          ? `proposal ${e.state}`
          : `${e.kind} ${'action' in e ? e.action : ''}`,
      ),
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(g.forge.list()[0]?.state, 'running');
    // The proposal as the policy decided it, the start, then the rest as it happens.
    assert.deepEqual(seen.slice(0, 2), ['proposal approved', 'chaos start']);
    assert.ok(seen.includes('proposal applied'), seen.join());
    sub.dispose();
    g.close();
  });

  it('ignores an invalid FOX_CHAOS experiment with a warning', () => {
    process.env['FOX_CHAOS'] = '{"name": "half"}';
    const warnings: string[] = [];
    const g = start(warnings);
    assert.equal(g.forge.list().length, 0);
    assert.match(warnings.join(), /invalid chaos experiment.*no fault will be injected/);
    g.close();
  });
});
