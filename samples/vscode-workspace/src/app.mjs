// A long-running program for the profiler: run it under the debugger (the extension sets
// FOX_PROFILER) or with "Fox: Run with Profiler". `@fox/sdk` resolves through node_modules
// (the e2e test links it to the repo's sdk).
import { createHash } from 'node:crypto';
import { fox } from '@fox/sdk';

/** CPU work on the caller's loop, so the panel shows calls, latency and event-loop delay. */
export const crunch = fox({ mode: 'sfox' }, async function crunch(rounds) {
  let digest = Buffer.from('fox');
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex').slice(0, 8);
});

const seconds = Number(process.env.FOX_SAMPLE_SECONDS ?? 300);
const until = Date.now() + seconds * 1000;
let calls = 0;
console.log(
  `sample running for ${seconds}s (profiler: ${process.env.FOX_PROFILER ? 'on' : 'off'})`,
);
while (Date.now() < until) {
  await crunch(2_000 + Math.floor(Math.random() * 2_000));
  calls++;
  if (calls % 200 === 0) console.log(`${calls} calls`);
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await fox.shutdown();
