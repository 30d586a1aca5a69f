import assert from 'node:assert/strict';
import { ChaosForge, type ChaosHost } from '../../src/chaos/forge.js';
import type { ChaosHook } from '../../src/chaos/hook.js';
import { resetChaosKillSwitch } from '../../src/chaos/process-kill-switch.js';
import type { StatsSnapshot } from '../../src/protocol/stats.js';
import type { Call } from '../../src/task/call.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';

const WALL_START = 1_700_000_000_000;

function oneTaskHost(id: string) {
  let hook: ChaosHook | undefined;
  const stats = { at: 0, process: {}, tasks: [] } as unknown as StatsSnapshot;
  const host: ChaosHost = {
    tasks: () => [{ id, setChaos: (h) => void (hook = h) }],
    stats: () => stats,
  };
  return { host, hook: () => hook };
}

describe('chaos forge on an injected clock', () => {
  afterEach(() => resetChaosKillSwitch());

  it('runs its phases and injected delays on the clock it is given, not on wall time', async () => {
    const clock = createFakeClock({ now: 0, wallNow: WALL_START });
    const { host, hook } = oneTaskHost('src/a.ts#f');
    const forge = new ChaosForge({ host, clock });
    const run = await forge.start({
      name: 'slow',
      seed: 1,
      hypothesis: { probes: [] },
      method: [{ fault: { type: 'latency', ms: 2_000 }, target: { tasks: ['**'], rate: 1 } }],
      baselineMs: 1_000,
      durationMs: 5_000,
      recoveryMs: 1_000,
    });
    const attempt = hook()!.wrap(async () => 'ok');
    const call = { taskId: 'src/a.ts#f' } as unknown as Call;

    await clock.tickAsync(1_000); // end of the baseline: injection starts
    let settled = false;
    const slow = attempt(call).then(() => (settled = true));
    await clock.tickAsync(1_999);
    assert.equal(settled, false, 'the injected delay waits for the fake clock');
    await clock.tickAsync(1);
    await slow;
    assert.equal(settled, true);

    await clock.tickAsync(5_000); // injection and recovery end
    const report = await run.done;
    assert.equal(report.outcome, 'completed');
    assert.equal(report.startedAt, WALL_START);
    assert.equal(report.endedAt, WALL_START + 7_000);
    assert.equal(clock.pendingTimers(), 0);
    forge.dispose();
  });
});
