import assert from 'node:assert/strict';
import { FoxAbortedError } from '../../src/errors/errors.js';
import { CodedError, chain, fakeClock, flaky, makeCall } from './fixtures.js';

describe('fallback policy', () => {
  it('answers with a value on failure and fires a fallback event', async () => {
    const c = chain({ fallback: 'cached' }, fakeClock());
    const events: unknown[] = [];
    c.events.fallback((e) => events.push((e.error as Error).message));
    assert.equal(await c.wrap(flaky(1))(makeCall()), 'cached');
    assert.deepEqual(events, ['boom']);
  });

  it('passes successes through untouched', async () => {
    const c = chain({ fallback: 'cached' }, fakeClock());
    assert.equal(await c.wrap(flaky(0, 'fresh'))(makeCall()), 'fresh');
  });

  it('a handler receives the error and the arguments', async () => {
    const c = chain(
      {
        fallback: (err: unknown, args: unknown[]) => `${(err as Error).message}:${String(args[0])}`,
      },
      fakeClock(),
    );
    assert.equal(await c.wrap(flaky(1))(makeCall(['id7'])), 'boom:id7');
  });

  it('object values go through { value }', async () => {
    const c = chain({ fallback: { value: { items: [] } } }, fakeClock());
    assert.deepEqual(await c.wrap(flaky(1))(makeCall()), { items: [] });
  });

  it('`on` limits it to matching errors; the caller aborting is never covered by default', async () => {
    const c = chain({ fallback: { value: 0, on: ['ETIMEDOUT'] } }, fakeClock());
    assert.equal(await c.wrap(flaky(1, 1, () => new CodedError('ETIMEDOUT')))(makeCall()), 0);
    await assert.rejects(c.wrap(flaky(1, 1, () => new CodedError('EPERM')))(makeCall()), /EPERM/);
    const d = chain({ fallback: 0 }, fakeClock());
    await assert.rejects(
      d.wrap(flaky(1, 1, () => new FoxAbortedError('gone')))(makeCall()),
      FoxAbortedError,
    );
  });

  it('can be changed at run time', async () => {
    const c = chain({ fallback: 1 }, fakeClock());
    c.get('fallback')!.configure({ value: 2 });
    assert.equal(await c.wrap(flaky(1))(makeCall()), 2);
  });
});
