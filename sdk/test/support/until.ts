/**
 * Waits for a condition that something outside the test's control makes true (a worker thread,
 * a socket, a child process), checking every `everyMs` until `ms` have passed. For state the
 * test drives itself, use a fake clock or wait for the event instead ({@link nextEvent}).
 */
export async function until(
  check: () => boolean,
  ms = 10_000,
  what = 'condition',
  everyMs = 5,
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
