import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fox } from '@fox/sdk';
import type { WireEvent } from '../../src/protocol/wire.js';
import { runtime } from '../../src/runtime/runtime.js';

describe('runtime wiring of the guardian', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fox-rt-guardian-'))));
  afterEach(async () => {
    await runtime().reset();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the store, applies an approved change, audits it and feeds the profiler', async () => {
    fox.configure({
      store: join(dir, 'fox.db'),
      guardian: { rules: [{ impact: 'low', decide: 'approve' }], default: 'deny' },
    });
    const job = fox({ id: 'wire#job', retry: 2 }, async () => 'ok');
    const events: WireEvent[] = [];
    const sub = runtime().wireEvents.event((e) => events.push(e));
    const g = runtime().guardianRuntime!;
    assert.ok(g, 'the guardian runs while a store is open');

    const applied = await g.guardian.propose({
      kind: 'policy-change',
      taskId: 'wire#job',
      payload: { policy: 'retry', config: { attempts: 5 } },
      impact: 'low',
      proposer: 'tuner',
    });
    assert.equal(applied.state, 'applied', applied.reason ?? '');
    assert.equal(fox.task('wire#job')!.policies!.get('retry')!.config.attempts, 5);

    const denied = await g.guardian.propose({
      kind: 'strategy-change',
      taskId: 'wire#job',
      payload: { to: 'wfox' },
      impact: 'high',
      proposer: 'auto',
    });
    assert.equal(denied.state, 'denied');
    assert.equal(fox.task('wire#job')!.info().current, 'sfox', 'a denied change is not applied');

    assert.ok(g.audit.verify().ok);
    assert.ok(events.some((e) => e.kind === 'proposal' && e.state === 'applied'));
    assert.equal(await job(), 'ok');
    sub.dispose();
    await fox.shutdown();
    assert.equal(runtime().guardianRuntime, undefined, 'closed with the store');
  });

  it('rejects an invalid guardian policy at configure time, naming the setting', () => {
    assert.throws(
      () => fox.configure({ guardian: { required: 0 } as never }),
      /guardian\.required/,
    );
  });
});
