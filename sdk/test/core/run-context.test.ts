import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import {
  asyncContextMode,
  asyncContextOpen,
  currentCall,
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

  it("opens AsyncLocalStorage in windows of 100 ms every second in 'windows' mode", () => {
    const clock = FakeTimers.install({ toFake: ['setInterval', 'setTimeout', 'clearInterval'] });
    try {
      setAsyncContext('windows');
      assert.equal(asyncContextMode(), 'windows');
      assert.equal(asyncContextOpen(), true);
      clock.tick(101);
      assert.equal(asyncContextOpen(), false);
      clock.tick(900);
      assert.equal(asyncContextOpen(), true);
      clock.tick(101);
      assert.equal(asyncContextOpen(), false);
      setAsyncContext(false);
      clock.tick(5000);
      assert.equal(asyncContextOpen(), false, 'no window after turning it off');
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
