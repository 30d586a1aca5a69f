import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { fox } from '@fox/sdk';
import { redisAvailable, startRedis } from '../../sdk/test/support/redis-server.js';
import { median, table, type BenchSection } from './report.js';
import { burn1, burn2, noop, noopSfox, noopTfox } from './dfox-tasks.js';

/**
 * dfox against raw BullMQ, same Redis, same run, workers in child processes:
 * (1) one awaited no-op round trip at a time (latency), dfox vs `queue.add` +
 * `job.waitUntilFinished(queueEvents)`; sfox and tfox for scale;
 * (2) no-op throughput with 32 calls in flight, and the caller's CPU per call;
 * (3) scale-out: a ~20 ms CPU-bound job on 1 vs 2 worker processes, dfox's 1→2 ratio against
 * raw BullMQ's own in the same run;
 * (4) Redis commands and Redis CPU per job (INFO deltas), the inputs of the N-machine model.
 * Variants alternate within each round; medians of the rounds are reported.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const FOX_BIN = join(repoRoot, 'sdk', 'bin', 'fox.js');
const ROUNDS = Number(process.env.FOX_BENCH_ROUNDS ?? 3) || 3;
const NOOP_CONCURRENCY = 8;
const RTT_CALLS = 300;
const RTT_SLICES = 4;
const THROUGHPUT_CALLS = 2000;
const IN_FLIGHT = 32;
const CPU_JOB_MS = 20;
const CPU_JOBS = 100;

type Run = (n: number) => Promise<unknown>;

function startChild(args: string[], readyText: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot,
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(readyText)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`child not ready: ${out}`)), 60_000).unref();
  });
}

async function roundTrips(run: Run, calls: number, into: number[]): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await run(i);
    into.push((performance.now() - t0) * 1000);
  }
}

/** Calls/s and caller CPU µs per call with `inFlight` calls outstanding. */
async function throughput(run: Run, calls: number, inFlight: number) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls) await run(next++);
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: calls / (ms / 1000), cpuUs: (cpu.user + cpu.system) / calls };
}

async function redisInfo(client: Redis): Promise<{ commands: number; cpuMs: number }> {
  const stats = await client.info('stats');
  const cpu = await client.info('cpu');
  const num = (text: string, key: string) => Number(new RegExp(`${key}:([\\d.]+)`).exec(text)?.[1]);
  return {
    commands: num(stats, 'total_commands_processed'),
    cpuMs: (num(cpu, 'used_cpu_sys') + num(cpu, 'used_cpu_user')) * 1000,
  };
}

export async function runDfoxBench(): Promise<BenchSection> {
  if (!redisAvailable)
    throw new Error('the dfox bench needs redis-server (scripts/install-redis.sh)');
  const redis = await startRedis();
  const children: ChildProcess[] = [];
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  const rawNoop = new Queue('raw-noop', { connection });
  const rawCpu1 = new Queue('raw-cpu1', { connection });
  const rawCpu2 = new Queue('raw-cpu2', { connection });
  const events = {
    noop: new QueueEvents('raw-noop', { connection }),
    cpu1: new QueueEvents('raw-cpu1', { connection }),
    cpu2: new QueueEvents('raw-cpu2', { connection }),
  };
  const info = new Redis(connection);
  try {
    fox.configure({ redis: redis.url, pool: { minThreads: 1, maxThreads: 1 } });
    const foxWorker = (...args: string[]) =>
      startChild(
        [FOX_BIN, 'worker', '--root', repoRoot, '--redis', redis.url, ...args],
        'fox worker: ready',
      );
    const rawWorker = (...queues: string[]) =>
      startChild(
        [join(here, 'dfox-raw-worker.ts'), String(redis.port), String(NOOP_CONCURRENCY), ...queues],
        'raw worker: ready',
      );
    children.push(
      ...(await Promise.all([
        foxWorker('--queue', 'bench-noop', '--concurrency', String(NOOP_CONCURRENCY)),
        foxWorker('--queue', 'bench-cpu1', '--queue', 'bench-cpu2'),
        foxWorker('--queue', 'bench-cpu2'),
        rawWorker('raw-noop', 'raw-cpu1', 'raw-cpu2'),
        rawWorker('raw-cpu2'),
      ])),
    );
    await Promise.all(Object.values(events).map((e) => e.waitUntilReady()));

    const raw =
      (queue: Queue, ev: QueueEvents, name: string, data: (n: number) => object): Run =>
      async (n) =>
        (await queue.add(name, data(n))).waitUntilFinished(ev);
    const variants: [string, Run][] = [
      ['raw BullMQ', raw(rawNoop, events.noop, 'noop', (n) => ({ n }))],
      ['dfox', (n) => noop(n)],
    ];
    const scale: [string, Run][] = [
      ['raw 1 worker', raw(rawCpu1, events.cpu1, 'cpu', () => ({ ms: CPU_JOB_MS }))],
      ['raw 2 workers', raw(rawCpu2, events.cpu2, 'cpu', () => ({ ms: CPU_JOB_MS }))],
      ['dfox 1 worker', () => burn1(CPU_JOB_MS)],
      ['dfox 2 workers', () => burn2(CPU_JOB_MS)],
    ];
    // Warm-up: connections, Lua scripts loaded, modules imported in the workers, JIT.
    for (const [, run] of variants) await throughput(run, 400, IN_FLIGHT);
    for (const [, run] of scale) await throughput(run, 10, 2);
    await roundTrips((n) => noopSfox(n), 200, []);
    await roundTrips((n) => noopTfox(n), 200, []);

    const s: Record<string, number[]> = {};
    const add = (k: string, v: number) => (s[k] ??= []).push(v);
    const perJob: Record<string, { commands: number[]; cpuMs: number[] }> = {};
    for (let r = 0; r < ROUNDS; r++) {
      const rtt = new Map<string, number[]>();
      for (let slice = 0; slice < RTT_SLICES; slice++) {
        for (const [k, run] of [
          ...variants,
          ['sfox', (n: number) => noopSfox(n)] as [string, Run],
          ['tfox', (n: number) => noopTfox(n)] as [string, Run],
        ]) {
          const into = rtt.get(k) ?? [];
          rtt.set(k, into);
          await roundTrips(run, RTT_CALLS / RTT_SLICES, into);
        }
      }
      for (const [k, xs] of rtt) add(`rtt ${k}`, median(xs));
      for (const [k, run] of r % 2 ? [...variants].reverse() : variants) {
        const before = await redisInfo(info);
        const t = await throughput(run, THROUGHPUT_CALLS, IN_FLIGHT);
        const after = await redisInfo(info);
        add(`thr ${k}`, t.perSec);
        add(`cpu ${k}`, t.cpuUs);
        const j = (perJob[k] ??= { commands: [], cpuMs: [] });
        // Minus the two INFO calls themselves.
        j.commands.push((after.commands - before.commands - 2) / THROUGHPUT_CALLS);
        j.cpuMs.push((after.cpuMs - before.cpuMs) / THROUGHPUT_CALLS);
      }
      for (const [k, run] of r % 2 ? [...scale].reverse() : scale) {
        add(`scale ${k}`, (await throughput(run, CPU_JOBS, 4)).perSec);
      }
    }
    const m = (k: string) => median(s[k]!);
    const rows = [
      ...['raw BullMQ', 'dfox', 'sfox', 'tfox'].map((k) => ({
        case: `no-op round trip, ${k}`,
        value: `${m(`rtt ${k}`).toFixed(0)} µs (median)`,
      })),
      ...['raw BullMQ', 'dfox'].map((k) => ({
        case: `no-op throughput, ${k} (${IN_FLIGHT} in flight, worker concurrency ${NOOP_CONCURRENCY})`,
        value:
          `${m(`thr ${k}`).toFixed(0)} calls/s; caller CPU ${m(`cpu ${k}`).toFixed(0)} µs/call; ` +
          `Redis ${median(perJob[k]!.commands).toFixed(1)} commands, ` +
          `${(median(perJob[k]!.cpuMs) * 1000).toFixed(0)} µs CPU per job`,
      })),
      ...scale.map(([k]) => ({
        case: `${CPU_JOB_MS} ms CPU job, ${k}`,
        value: `${m(`scale ${k}`).toFixed(1)} jobs/s`,
      })),
    ];
    const latency = m('rtt dfox') / m('rtt raw BullMQ');
    const thr = m('thr dfox') / m('thr raw BullMQ');
    const rawScale = m('scale raw 2 workers') / m('scale raw 1 worker');
    const foxScale = m('scale dfox 2 workers') / m('scale dfox 1 worker');
    const redisCpuUs = median(perJob['dfox']!.cpuMs) * 1000;
    const verdict = (label: string, ok: boolean) => `${label}: ${ok ? 'PASS' : 'FAIL'}`;
    return {
      title: 'dfox: distributed calls on BullMQ vs raw BullMQ',
      command: 'npm run bench -- dfox',
      description:
        `Redis (Debian redis-server) on loopback; workers are child processes (fox worker vs a raw ` +
        `BullMQ Worker with an inline processor), same concurrency. ${ROUNDS} rounds, variants ` +
        `interleaved, medians. Round trip: one awaited call at a time (${RTT_CALLS} per round). ` +
        `Scale-out: ${CPU_JOBS} jobs of ${CPU_JOB_MS} ms CPU, 4 in flight, on 1 vs 2 worker ` +
        `processes (this machine has 2 cores shared with the caller and Redis). N-machine model: ` +
        `throughput ≈ min(N × concurrency / job time, Redis capacity / Redis CPU per job); at ` +
        `${redisCpuUs.toFixed(0)} µs of Redis CPU per dfox job one Redis core bounds it near ` +
        `${(1e6 / Math.max(redisCpuUs, 1)).toFixed(0)} jobs/s.`,
      table: table(rows),
      verdicts: [
        verdict(
          `round-trip latency dfox / raw = ${latency.toFixed(2)}× (target ≤ 1.15)`,
          latency <= 1.15,
        ),
        verdict(`throughput dfox / raw = ${thr.toFixed(2)}× (target ≥ 0.9)`, thr >= 0.9),
        verdict(
          `scale-out 1→2 workers: dfox ${foxScale.toFixed(2)}× vs raw ${rawScale.toFixed(2)}× = ` +
            `${(foxScale / rawScale).toFixed(2)} (target ≥ 0.95)`,
          foxScale / rawScale >= 0.95,
        ),
      ],
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await fox.shutdown();
    await Promise.allSettled([
      rawNoop.close(),
      rawCpu1.close(),
      rawCpu2.close(),
      ...Object.values(events).map((e) => e.close()),
    ]);
    info.disconnect();
    await redis.stop();
  }
}
