import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import {
  asyncContextMode,
  asyncContextOpen,
  canTrackTree,
  currentCall,
  enterSampledRoot,
  leaveSampledRoot,
  runAs,
  setAsyncContext,
} from '../../src/context/run-context.js';
import { Call } from '../../src/task/call.js';

describe('run context', () => {
  afterEach(() => setAsyncContext(false));

  it('tracks the current call through the synchronous part only, when off', async () => {
    const parent = new Call('t#p', undefined, [], undefined, undefined);
    let before: Call | undefined;
    let after: Call | undefined;
    await runAs(parent, async () => {
      before = currentCall();
      await Promise.resolve();
      after = currentCall();
    });
    assert.equal(before, parent);
    assert.equal(after, undefined, 'no stale parent after an await');
  });

  it("in 'sampled' mode opens AsyncLocalStorage only while sampled roots run", async () => {
    setAsyncContext('sampled');
    assert.equal(asyncContextMode(), 'sampled');
    assert.equal(asyncContextOpen(), false, 'closed until a sampled root starts');
    assert.equal(canTrackTree(), true);
    enterSampledRoot();
    enterSampledRoot();
    assert.equal(asyncContextOpen(), true);
    const parent = new Call('t#p', undefined, [], undefined, undefined);
    const seen = await runAs(parent, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentCall();
    });
    assert.equal(seen, parent, 'the tree is tracked across awaits');
    leaveSampledRoot();
    assert.equal(asyncContextOpen(), true, 'one sampled root still running');
    leaveSampledRoot();
    assert.equal(asyncContextOpen(), false);
    leaveSampledRoot();
    enterSampledRoot();
    assert.equal(asyncContextOpen(), true, 'an extra leave does not unbalance the count');
    leaveSampledRoot();
    assert.equal(asyncContextOpen(), false);
  });

  it("in 'sampled' mode stays open at most 100 ms per second", () => {
    const clock = FakeTimers.install({
      toFake: ['setInterval', 'setTimeout', 'clearInterval', 'clearTimeout', 'performance'],
    });
    try {
      setAsyncContext('sampled');
      enterSampledRoot();
      clock.tick(60);
      leaveSampledRoot();
      enterSampledRoot();
      clock.tick(39);
      assert.equal(asyncContextOpen(), true);
      clock.tick(2);
      assert.equal(asyncContextOpen(), false, 'closed when the budget ran out');
      assert.equal(canTrackTree(), false, 'no new sampled roots this period');
      leaveSampledRoot();
      clock.tick(1000);
      assert.equal(canTrackTree(), true, 'a new period, a new budget');
      enterSampledRoot();
      assert.equal(asyncContextOpen(), true);
      setAsyncContext(false);
      assert.equal(asyncContextOpen(), false);
      assert.equal(canTrackTree(), true);
    } finally {
      clock.uninstall();
    }
  });

  it('keeps the parent across awaits while open', async () => {
    setAsyncContext(true);
    const parent = new Call('t#p', undefined, [], undefined, undefined);
    const seen = await runAs(parent, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentCall();
    });
    assert.equal(seen, parent);
  });
});
