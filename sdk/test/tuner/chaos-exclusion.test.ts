import assert from 'node:assert/strict';
import { markInjected } from '../../src/chaos/hook.js';
import { SeededRandom } from '../../src/chaos/rng.js';
import { buildPolicies } from '../../src/policies/index.js';
import { Call, type Attempt } from '../../src/task/call.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';
import { CanaryHook, RecordingHook, ScoringHook } from '../../src/tuner/call-hooks.js';

/**
 * A dependency behind a chaos injection point the way the forge marks it: every 3rd attempt
 * gets an injected fault (and is marked injected); the rest answer after 5 ms.
 */
function injected(clock: ReturnType<typeof createFakeClock>) {
  let n = 0;
  const attempt: Attempt = (call) => {
    n++;
    if (n % 3 === 0) {
      markInjected(call);
      return Promise.reject(Object.assign(new Error('injected'), { code: 'FOX_CHAOS_INJECTED' }));
    }
    return new Promise((r) => clock.setTimeout(() => r(1), 5));
  };
  return attempt;
}

const newCall = (i: number) => new Call('chaos#t', undefined, [i], undefined, undefined);

describe('tuner: chaos samples are excluded', () => {
  it('from both canary arms, and from the watch window', async () => {
    const clock = createFakeClock({ now: 0 });
    const opts = { timeout: 100 };
    const control = buildPolicies(opts, { taskId: 'chaos#t', clock })!;
    const shadow = buildPolicies({ timeout: 50 }, { taskId: 'chaos#t', clock })!;
    const hook = new CanaryHook(shadow, 0.5, new SeededRandom(1), clock, 100);
    const invoke = hook.compose(injected(clock), control);
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) all.push(invoke(newCall(i)).catch(() => 0));
    await clock.tickAsync(200);
    await Promise.all(all);
    assert.equal(hook.chaosExcluded, 100);
    assert.equal(hook.control.calls + hook.candidate.calls, 200);
    assert.equal(hook.control.failed + hook.candidate.failed, 0, 'no injected failure counted');
    assert.ok(hook.control.calls > 50 && hook.candidate.calls > 50);

    const watch = new ScoringHook(clock, 100);
    const w = watch.compose(injected(clock), control);
    const more: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) more.push(w(newCall(i)).catch(() => 0));
    await clock.tickAsync(200);
    await Promise.all(more);
    assert.equal(watch.chaosExcluded, 10);
    assert.equal(watch.samples.calls, 20);
    assert.equal(watch.samples.failed, 0);
  });

  it('from the recorded interval the sandbox replays and the rules read', async () => {
    const clock = createFakeClock({ now: 0 });
    // With a retry, an injected first attempt is followed by a real one: the whole call goes.
    const chain = buildPolicies(
      { retry: { attempts: 2, delay: 0 } },
      { taskId: 'chaos#t', clock },
    )!;
    const hook = new RecordingHook('chaos#t', clock, 90);
    const invoke = hook.compose(injected(clock), chain);
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 90; i++) all.push(invoke(newCall(i)).catch(() => 0));
    await clock.tickAsync(200);
    await Promise.all(all);
    assert.equal(hook.recorder.complete, true);
    const interval = hook.recorder.cut();
    assert.ok(hook.recorder.chaosExcluded > 0);
    assert.equal(interval.calls.length + hook.recorder.chaosExcluded, 90);
    for (const c of interval.calls) {
      assert.ok(
        c.attempts.every((a) => a.code !== 'FOX_CHAOS_INJECTED'),
        JSON.stringify(c),
      );
    }
  });
});
