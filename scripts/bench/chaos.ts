/**
 * Chaos Forge: (1) abort latency, from a steady-state probe's metric crossing its limit to all
 * injection stopped (target p99 ≤ 50 ms) with calls running throughout; (2) the same from the
 * project kill file (`fox chaos kill`) appearing; (3) the cost of an injection decision on a
 * targeted task's attempt.
 *
 *   node --import tsx --conditions=source scripts/bench/chaos.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../../sdk/src/chaos/experiment.js';
import { ChaosForge, type ChaosHost } from '../../sdk/src/chaos/forge.js';
import type { ChaosHook } from '../../sdk/src/chaos/hook.js';
import { FaultInjector } from '../../sdk/src/chaos/injector.js';
import { clearKillFile, KILL_POLL_MS, writeKillFile } from '../../sdk/src/chaos/kill-switch.js';
import type { StatsSnapshot } from '../../sdk/src/protocol/stats.js';
import type { Call } from '../../sdk/src/task/call.js';
import { runIfMain, table, type BenchSection } from './report.js';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * q) - 1)]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One timed stop: starts an experiment that delays half of `bench#f`'s calls by 5 ms, keeps 8
 * calls in flight, waits 2–14 ms (varied by `i`), then calls `trigger` and returns the time from
 * it to the forge's own record of when injection stopped (not when this loop noticed).
 */
async function timeStop(
  forge: ChaosForge,
  hookOf: () => ChaosHook,
  i: number,
  experiment: { name: string; probes: unknown[] },
  trigger: () => void,
): Promise<number> {
  const run = await forge.start({
    name: experiment.name,
    seed: i,
    hypothesis: { probes: experiment.probes },
    method: [{ fault: { type: 'latency', ms: 5 }, target: { tasks: ['bench#f'], rate: 0.5 } }],
    baselineMs: 0,
    durationMs: 60_000,
    recoveryMs: 0,
  });
  await sleep(1);
  const attempt = hookOf().wrap(async () => 1);
  let calling = true;
  const load = (async () => {
    while (calling) {
      await Promise.all(Array.from({ length: 8 }, () => attempt({ taskId: 'bench#f' } as Call)));
      await new Promise((r) => setImmediate(r));
    }
  })();
  await sleep(2 + (i % 13));
  const at = performance.now();
  trigger();
  while (run.injector!.injecting) await new Promise((r) => setImmediate(r));
  const ms = run.injector!.stoppedAt - at;
  calling = false;
  await load;
  await run.done;
  return ms;
}

/**
 * From `fox chaos kill` writing the kill file (done here in-process, as the CLI does) to a
 * running experiment's injection stopped, with calls running throughout.
 */
async function killFileLatencies(runs: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fox-chaos-kill-bench-'));
  const killFile = join(dir, 'chaos-kill');
  let hook: ChaosHook | undefined;
  const host: ChaosHost = {
    tasks: () => [{ id: 'bench#f', setChaos: (h) => void (hook = h) }],
    stats: () => ({ at: 0, process: {}, tasks: [] }) as unknown as StatsSnapshot,
  };
  const forge = new ChaosForge({ host, killFile });
  const out: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      clearKillFile(killFile);
      const experiment = { name: 'kill bench', probes: [] };
      out.push(
        await timeStop(
          forge,
          () => hook!,
          i,
          experiment,
          () => writeKillFile(killFile, 'bench'),
        ),
      );
    }
  } finally {
    forge.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** From a probe breach (event-loop delay p99 over its maximum) to injection stopped. */
async function abortLatencies(runs: number): Promise<number[]> {
  let p99 = 0;
  const stats = () =>
    ({
      at: 0,
      process: {
        pid: 1,
        uptimeMs: 1,
        eventLoopDelay: { mean: 0, p50: 0, p99, max: p99 },
        eventLoopUtilization: 0,
        cpu: 0,
        heapUsedBytes: 0,
        rssBytes: 0,
      },
      tasks: [],
    }) as unknown as StatsSnapshot;
  let hook: ChaosHook | undefined;
  const host: ChaosHost = {
    tasks: () => [{ id: 'bench#f', setChaos: (h) => void (hook = h) }],
    stats,
  };
  const forge = new ChaosForge({ host });
  const out: number[] = [];
  const experiment = { name: 'abort bench', probes: [{ metric: 'eventLoopDelayP99', max: 100 }] };
  for (let i = 0; i < runs; i++) {
    p99 = 0;
    out.push(
      await timeStop(
        forge,
        () => hook!,
        i,
        experiment,
        () => void (p99 = 500),
      ),
    );
  }
  forge.dispose();
  return out;
}

async function decisionCost(calls: number): Promise<{ hooked: number; bare: number }> {
  const inj = new FaultInjector(
    'bench',
    parseExperiment({
      name: 'cost',
      seed: 1,
      hypothesis: { probes: [] },
      method: [
        {
          fault: { type: 'error' },
          target: { tasks: ['bench#f'], rate: 0.01, maxConcurrent: 100 },
        },
      ],
      durationMs: 60_000,
    }),
  );
  inj.startInjecting();
  const bare = async () => 1;
  const hooked = inj.hookFor('bench#f').wrap(bare);
  const call = { taskId: 'bench#f' } as Call;
  const time = async (f: (c: Call) => Promise<unknown>) => {
    const t = performance.now();
    for (let i = 0; i < calls; i++) await f(call).catch(() => undefined);
    return ((performance.now() - t) * 1e6) / calls;
  };
  await time(hooked);
  await time(bare);
  const h = [await time(hooked), await time(hooked), await time(hooked)];
  const b = [await time(bare), await time(bare), await time(bare)];
  inj.stop();
  return { hooked: quantile(h, 0.5), bare: quantile(b, 0.5) };
}

export async function runChaosBench(options: { quick?: boolean } = {}): Promise<BenchSection> {
  const lat = await abortLatencies(options.quick ? 40 : 200);
  const kill = await killFileLatencies(options.quick ? 20 : 100);
  const cost = await decisionCost(options.quick ? 20_000 : 100_000);
  const p99 = quantile(lat, 0.99);
  const killP99 = quantile(kill, 0.99);
  const rows = [
    {
      measure: 'abort latency: breach → injection stopped',
      n: String(lat.length),
      p50: `${quantile(lat, 0.5).toFixed(2)} ms`,
      p99: `${p99.toFixed(2)} ms`,
      max: `${Math.max(...lat).toFixed(2)} ms`,
    },
    {
      measure: 'kill file written (`fox chaos kill`) → injection stopped',
      n: String(kill.length),
      p50: `${quantile(kill, 0.5).toFixed(2)} ms`,
      p99: `${quantile(kill, 0.99).toFixed(2)} ms`,
      max: `${Math.max(...kill).toFixed(2)} ms`,
    },
    {
      measure: 'attempt, no experiment (bare)',
      n: '3 rounds',
      p50: `${cost.bare.toFixed(0)} ns`,
      p99: '',
      max: '',
    },
    {
      measure: 'attempt with injection decision (rate 1%)',
      n: '3 rounds',
      p50: `${cost.hooked.toFixed(0)} ns`,
      p99: '',
      max: '',
    },
  ];
  return {
    title: 'Chaos Forge',
    command: 'node --import tsx --conditions=source scripts/bench/chaos.ts',
    description:
      'Abort latency with the default probe interval (10 ms) while 8 concurrent calls run in a ' +
      'loop and half of them get a 5 ms injected delay; the kill switch row is the same load ' +
      'with the project kill file appearing instead (file events, 100 ms poll as the bound). ' +
      'Idle cost of an untargeted task is zero ' +
      'branches on the call path (the hook is woven in at compose time), so the sfox overhead ' +
      'bench (scripts/bench/overhead.ts) covers it.',
    table: table(rows),
    verdicts: [
      `abort p99 ${p99.toFixed(2)} ms ≤ 50 ms: ${p99 <= 50 ? 'PASS' : 'FAIL'}`,
      `kill switch p99 ${killP99.toFixed(2)} ms ≤ ${KILL_POLL_MS} ms (the poll bound): ${killP99 <= KILL_POLL_MS ? 'PASS' : 'FAIL'}`,
    ],
  };
}

runIfMain(import.meta.url, () => runChaosBench({ quick: process.argv.includes('--quick') }));
