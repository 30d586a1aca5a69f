/**
 * One arm of the tune benchmark in its own process: a fox task calling the benchmark's HTTP
 * dependency at a fixed offered load for `seconds`, with fixed policies or with the tuner on
 * (store in `storeDir`, the guardian approving policy changes). Prints one JSON line: goodput
 * (successes within `objectiveMs` per second) over the whole run and over its last `tailS`
 * seconds, the p99 of those seconds, attempts per call, and the tuner's adoptions.
 */
import { join } from 'node:path';
import { fox } from '../../sdk/src/index.js';

interface Arm {
  url: string;
  seconds: number;
  rate: number;
  objectiveMs: number;
  tailS: number;
  policies: Record<string, unknown>;
  tune?: { storeDir: string };
}

const arm = JSON.parse(process.argv[2]!) as Arm;
if (arm.tune) {
  fox.configure({
    store: join(arm.tune.storeDir, 'fox.db'),
    guardian: { rules: [{ kind: 'policy-change', decide: 'approve' }] },
    tune: {
      cooldownMs: 1000,
      tickMs: 100,
      recordCalls: 400,
      minPerArm: 40,
      maxPerArm: 600,
      canary: 0.25,
      watchCalls: 200,
      seed: 1,
    },
  });
}

class HttpError extends Error {
  readonly code = 'EHTTP503';
}

const dep = fox(
  { id: 'tune-bench#dep', ...arm.policies, ...(arm.tune ? { tune: true } : {}) },
  async function dep() {
    const signal = fox.context()?.signal;
    const res = await fetch(arm.url, signal ? { signal } : {});
    await res.arrayBuffer();
    if (!res.ok) throw new HttpError(String(res.status));
    return res.status;
  },
);

const t0 = performance.now();
const done: { at: number; ms: number; ok: boolean }[] = [];
let started = 0;
const gap = 1000 / arm.rate;
const timer = setInterval(() => {
  const due = Math.floor((performance.now() - t0) / gap);
  while (started < due) {
    started++;
    const s = performance.now();
    dep().then(
      () => done.push({ at: s - t0, ms: performance.now() - s, ok: true }),
      () => done.push({ at: s - t0, ms: performance.now() - s, ok: false }),
    );
  }
}, 5);
await new Promise((r) => setTimeout(r, arm.seconds * 1000));
clearInterval(timer);
await new Promise((r) => setTimeout(r, 3000));
const tailFrom = (arm.seconds - arm.tailS) * 1000;
const good = (xs: typeof done) => xs.filter((d) => d.ok && d.ms <= arm.objectiveMs).length;
const last = done.filter((d) => d.at >= tailFrom);
const lat = last.map((d) => d.ms).sort((a, b) => a - b);
const stats = fox.stats().tasks.find((t) => t.id === 'tune-bench#dep');
console.log(
  JSON.stringify({
    goodputAll: good(done) / arm.seconds,
    goodputTail: good(last) / arm.tailS,
    p99Tail: lat[Math.min(lat.length - 1, Math.ceil(lat.length * 0.99) - 1)] ?? NaN,
    attemptsPerCall: stats?.counters ? stats.counters.attempts / Math.max(1, stats.calls) : NaN,
    adoptions: fox.tuner
      .history('tune-bench#dep')
      .filter((g) => g.decision === 'adopted' || g.decision === 'rolled-back')
      .map((g) => `${g.decision} ${g.change?.gene} ${g.change?.from}→${g.change?.to}`),
  }),
);
await fox.shutdown();
process.exit(0);
