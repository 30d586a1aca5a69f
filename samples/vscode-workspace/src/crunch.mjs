// The sample's CPU-heavy task, in its own module so that tfox workers can import it without
// running the program (a worker imports the module that defines the task).
import { createHash } from 'node:crypto';
import { fox } from '@fox/sdk';

/**
 * Hashes `rounds` times on the caller's thread. In `auto` mode Fox measures each call; calls
 * that hold the event loop for milliseconds make it propose moving the task to worker threads
 * (tfox), and the guardian holds that proposal until a person approves it.
 */
export const crunch = fox({ mode: 'auto' }, async function crunch(rounds) {
  let digest = Buffer.from('fox');
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex').slice(0, 8);
});
