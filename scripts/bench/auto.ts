import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fox, FOX_TASK, setProposalHandler } from '@fox/sdk';
import { autoControllerOf } from '../../sdk/src/modes/auto/index.js';
import type { ConcreteMode } from '../../sdk/src/protocol/modes.js';
import type { Task } from '../../sdk/src/task/task.js';
import type { CorpusEntry } from './auto-corpus/index.js';
import { median, table, type BenchSection } from './report.js';

/**
 * Accuracy of `mode: 'auto'` on the labelled corpus (scripts/bench/auto-corpus): for each task,
 * its workload is timed under each of sfox, wfox, tfox and mfox (auto's proposals denied
 * meanwhile); then auto starts from sfox, runs the workload until warmed up, and its choice is
 * correct when that mode's time is within 10% of the best one's.
 */

const here = dirname(fileURLToPath(import.meta.url));
const MODES: ConcreteMode[] = ['sfox', 'wfox', 'tfox', 'mfox'];
const BACKEND_CAPACITY = 16;
const WARM_CALLS = 96;

async function workload(entry: CorpusEntry): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < entry.calls) {
      next++;
      await entry.fn(...(entry.args as never[]));
    }
  };
  await Promise.all(Array.from({ length: entry.fanOut }, runner));
  return performance.now() - t0;
}

function nameOf(entry: CorpusEntry): string {
  return (entry.fn as unknown as { [FOX_TASK]: Task })[FOX_TASK].id.replace('corpus/', '');
}

export async function runAutoBench(): Promise<BenchSection> {
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'auto-corpus/server.ts'), String(BACKEND_CAPACITY)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) =>
    server.stdout.once('data', (d: Buffer) =>
      resolve((JSON.parse(d.toString()) as { port: number }).port),
    ),
  );
  process.env.FOX_CORPUS_URL = `http://127.0.0.1:${port}`;
  fox.configure({
    pool: { minThreads: 2, maxThreads: 2 },
    lanes: { db: { limit: BACKEND_CAPACITY } },
  });
  const { CORPUS } = await import('./auto-corpus/index.js');
  const rows: Record<string, string>[] = [];
  let correct = 0;
  const byLabel: Record<string, { n: number; ok: number }> = {};
  try {
    for (const entry of CORPUS) {
      const task = (entry.fn as unknown as { [FOX_TASK]: Task })[FOX_TASK];
      const controller = autoControllerOf(task)!;
      const times: Partial<Record<ConcreteMode, number>> = {};
      const deny = setProposalHandler(() => 'denied');
      try {
        const runs: Partial<Record<ConcreteMode, number[]>> = {};
        for (const mode of MODES) {
          await task.setStrategy(mode);
          await workload(entry); // warm-up (JIT, workers, connections)
        }
        // Interleaved rounds, median: machine noise hits every mode alike.
        for (let round = 0; round < 3; round++) {
          for (const mode of MODES) {
            await task.setStrategy(mode);
            (runs[mode] ??= []).push(await workload(entry));
          }
        }
        for (const mode of MODES) times[mode] = median(runs[mode]!);
      } finally {
        deny.dispose();
      }
      await task.setStrategy('sfox');
      controller.reset();
      let calls = 0;
      while (calls < WARM_CALLS) {
        await workload(entry);
        calls += entry.calls;
      }
      await new Promise((r) => setTimeout(r, 10));
      const picked = task.current;
      const best = MODES.reduce((a, b) => (times[a]! <= times[b]! ? a : b));
      const ok = times[picked]! <= times[best]! * 1.1;
      if (ok) correct++;
      const l = (byLabel[entry.label] ??= { n: 0, ok: 0 });
      l.n++;
      if (ok) l.ok++;
      rows.push({
        task: nameOf(entry),
        label: entry.label,
        'calls × fan-out': `${entry.calls} × ${entry.fanOut}`,
        ...Object.fromEntries(MODES.map((m) => [`${m} ms`, times[m]!.toFixed(1)])),
        best,
        auto: picked,
        'auto / best': (times[picked]! / times[best]!).toFixed(2),
        ok: ok ? 'yes' : 'NO',
      });
      await task.setStrategy('sfox');
    }
  } finally {
    server.kill();
    await fox.shutdown();
  }
  const accuracy = correct / CORPUS.length;
  const labels = Object.entries(byLabel)
    .map(([k, v]) => `${k} ${v.ok}/${v.n}`)
    .join(', ');
  return {
    title: 'auto: strategy selection accuracy',
    command: 'node --import tsx --conditions=source scripts/bench/auto.ts',
    description: `${CORPUS.length} labelled tasks (scripts/bench/auto-corpus). Each workload is timed under every strategy (3 interleaved rounds after a warm-up, median; I/O goes to a shared backend in another process that slows down beyond ${BACKEND_CAPACITY} requests in flight; the 'db' lane is set to that capacity). auto then starts from sfox and runs ≥ ${WARM_CALLS} calls; its pick is correct within 10% of the best time. 2 worker threads.`,
    table: table(rows),
    verdicts: [
      `auto picked the best strategy (or one within 10%) for ${correct}/${CORPUS.length} = ${(accuracy * 100).toFixed(1)}% (${labels}) (target ≥ 95%): ${accuracy >= 0.95 ? 'PASS' : 'FAIL'}`,
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runAutoBench();
  console.log([r.title, r.description, r.table, ...r.verdicts].join('\n\n'));
}
