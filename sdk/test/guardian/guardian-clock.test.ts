import assert from 'node:assert/strict';
import { GUARDIAN_TABLES } from '../../src/guardian/guardian-schema.js';
import { Guardian } from '../../src/guardian/guardian.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';
import { makeEnv, type Env } from './fixtures.js';

describe('guardian on an injected clock', () => {
  let env: Env;
  beforeEach(() => (env = makeEnv()));
  afterEach(() => env.cleanup());

  it('polls for approvals made elsewhere on its clock, and stops when closed', async () => {
    const clock = createFakeClock({ wallNow: 1_700_000_000_000 });
    const g = new Guardian({ db: env.store.use(GUARDIAN_TABLES), audit: env.audit, clock });
    let syncs = 0;
    g.sync = async () => void syncs++;
    g.startSync(250);
    clock.tick(249);
    assert.equal(syncs, 0);
    clock.tick(1);
    assert.equal(syncs, 1);
    clock.tick(500);
    assert.equal(syncs, 3);
    g.close();
    clock.tick(1_000);
    assert.equal(syncs, 3);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('stamps proposals with the wall time of its clock', async () => {
    const clock = createFakeClock({ wallNow: 1_700_000_000_000 });
    const g = new Guardian({ db: env.store.use(GUARDIAN_TABLES), audit: env.audit, clock });
    try {
      clock.tick(5_000);
      const { id } = await g.propose({
        kind: 'policy-change',
        taskId: 'src/a.ts#f',
        payload: { policy: 'retry', config: { attempts: 4 } },
        impact: 'low',
        proposer: 'tuner',
      });
      assert.equal(g.get(id)?.createdAt, 1_700_000_005_000);
    } finally {
      g.close();
    }
  });
});
