import type { FoxEvent } from '../../src/events/emitter.js';

/**
 * The first value `event` fires that `matches` accepts. Subscribes at once, so call it before
 * the action that fires the event; rejects after `ms` so a missing event fails the test
 * instead of hanging it.
 */
export function nextEvent<T>(
  event: FoxEvent<T>,
  matches: (value: T) => boolean = () => true,
  ms = 10_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no matching event within ${ms} ms`));
    }, ms);
    const sub = event((value) => {
      if (!matches(value)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(value);
    });
  });
}
