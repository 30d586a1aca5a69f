import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { median, table, type BenchSection } from './report.js';

/**
 * mfox against the obvious default, same run, each variant in a fresh process:
 * (a) read 20,000 small files, and as many as the naive read survives (median of 5 runs):
 *     `Promise.all(readFile)` vs `fox.io.readFiles`;
 * (b) 5,000 HTTP requests to a local server (separate process) that adds latency and accepts a
 *     bounded number of connections: unbounded `Promise.all(fetch)` vs `fox.io.fetch`;
 * (c) SHA-256 of a 1 GiB file: `readFile` vs `fox.io.hashFile` (streaming), peak RSS.
 */

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, 'mfox-child.ts');
const NODE_ARGS = ['--import', 'tsx', '--conditions=source', child];

const FILES = 20_000;
const FILE_ROUNDS = 5;
const REQUESTS = 5_000;
const LATENCY_MS = 20;
const SERVER_CONNECTIONS = 128;
const LANE_LIMIT = 64;
const HUGE_MB = 1024;

async function measure<T>(args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [...NODE_ARGS, ...args], {
    cwd: join(here, '../..'),
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

/** Half the soft fd limit, at most 5,000: a count `Promise.all(readFile)` reads without EMFILE. */
async function filesNaiveSurvives(): Promise<number> {
  const limit = Number((await run('sh', ['-c', 'ulimit -n'])).stdout.trim()); // NaN if unlimited
  return Number.isFinite(limit) ? Math.min(5_000, Math.floor(limit / 2)) : 5_000;
}

/**
 * `Promise.all(readFile)` and `fox.io.readFiles` of the first `n` files, FILE_ROUNDS fresh
 * processes each, alternating; the median run of each, or its first failure.
 */
async function readFilesRounds(dir: string, n: number): Promise<[FilesResult, FilesResult]> {
  const runs: [FilesResult[], FilesResult[]] = [[], []];
  for (let i = 0; i < FILE_ROUNDS; i++) {
    for (const [v, variant] of ['naive', 'fox'].entries()) {
      runs[v]!.push(await measure<FilesResult>(['files', variant, dir, String(n)]));
    }
  }
  const summary = (rs: FilesResult[]): FilesResult =>
    rs.find((r) => !r.ok) ?? {
      ok: true,
      ms: median(rs.map((r) => r.ms)),
      perSec: median(rs.map((r) => r.perSec!)),
    };
  return [summary(runs[0]), summary(runs[1])];
}

interface FilesResult {
  ok: boolean;
  error?: string;
  ms: number;
  perSec?: number;
}
interface HttpResult {
  ok: number;
  failures: number;
  errors: Record<string, number>;
  ms: number;
  goodput: number;
  p99: number;
}
interface HashResult {
  baseMb: number;
  digest: string;
  ms: number;
  maxRssMb: number;
}

export async function runMfoxBench(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'fox-mfox-bench-'));
  const rows: Record<string, string>[] = [];
  const verdicts: string[] = [];
  const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  try {
    // (a) small files: 20,000 (past the naive read's fd limit here) and a count it survives, so
    // the throughput ratio is measured too.
    for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `${i}.txt`), `file ${i} `.repeat(50));
    for (const n of [FILES, await filesNaiveSurvives()]) {
      const [naiveFiles, foxFiles] = await readFilesRounds(dir, n);
      for (const [name, r] of [
        ['Promise.all(readFile)', naiveFiles],
        ['fox.io.readFiles', foxFiles],
      ] as const) {
        rows.push({
          case: `(a) read ${n.toLocaleString('en')} small files`,
          variant: name,
          result: r.ok ? 'ok' : `error ${r.error}`,
          'wall ms': r.ms.toFixed(0),
          throughput: r.perSec ? `${r.perSec.toFixed(0)} files/s` : '-',
          'p99 / peak RSS': '-',
        });
      }
      const ratio = naiveFiles.ok && foxFiles.perSec ? foxFiles.perSec / naiveFiles.perSec! : NaN;
      verdicts.push(
        `(a) ${n.toLocaleString('en')} files: fox.io.readFiles ${foxFiles.ok ? 'no EMFILE' : `error ${foxFiles.error}`}; naive ${naiveFiles.ok ? 'ok' : `error ${naiveFiles.error}`}; throughput fox/naive ${naiveFiles.ok ? `${ratio.toFixed(2)}×` : 'n/a (naive failed)'} (target: no EMFILE, ≥ 1×): ${pass(foxFiles.ok && (!naiveFiles.ok || ratio >= 1))}`,
      );
    }

    // (b) HTTP fan-out against a server in its own process
    const srv = spawn(
      process.execPath,
      [...NODE_ARGS, 'server', String(LATENCY_MS), String(SERVER_CONNECTIONS)],
      {
        cwd: join(here, '../..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const port = await new Promise<number>((resolve) =>
      srv.stdout.once('data', (d: Buffer) =>
        resolve((JSON.parse(d.toString()) as { port: number }).port),
      ),
    );
    const url = `http://127.0.0.1:${port}`;
    try {
      const naiveHttp = await measure<HttpResult>(['http', 'naive', url, String(REQUESTS), '0']);
      const foxHttp = await measure<HttpResult>([
        'http',
        'fox',
        url,
        String(REQUESTS),
        String(LANE_LIMIT),
      ]);
      for (const [name, r] of [
        ['Promise.all(fetch) unbounded', naiveHttp],
        [`fox.io.fetch (lane ${LANE_LIMIT})`, foxHttp],
      ] as const) {
        const errs = Object.entries(r.errors)
          .map(([k, v]) => `${k}×${v}`)
          .join(', ');
        rows.push({
          case: `(b) ${REQUESTS.toLocaleString('en')} requests, +${LATENCY_MS} ms, ≤ ${SERVER_CONNECTIONS} connections`,
          variant: name,
          result: `${r.ok} ok, ${r.failures} failed${errs ? ` (${errs})` : ''}`,
          'wall ms': r.ms.toFixed(0),
          throughput: `${r.goodput.toFixed(0)} ok req/s`,
          'p99 / peak RSS': `p99 ${r.p99.toFixed(0)} ms`,
        });
      }
      const g = foxHttp.goodput / naiveHttp.goodput;
      const p = naiveHttp.p99 / foxHttp.p99;
      verdicts.push(
        `(b) goodput fox/naive = ${g.toFixed(2)}×, p99 naive/fox = ${p.toFixed(2)}× (target ≥ 2× on either): ${pass(g >= 2 || p >= 2)}`,
      );
    } finally {
      srv.kill();
    }

    // (c) hash a 1 GiB file
    const huge = join(dir, 'huge.bin');
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
    const fd = openSync(huge, 'w');
    const expected = createHash('sha256');
    for (let i = 0; i < HUGE_MB; i++) {
      block[0] = i & 255;
      writeSync(fd, block);
      expected.update(block);
    }
    closeSync(fd);
    const digest = expected.digest('hex');
    // Plain node on the built sdk (as users run it): tsx alone would add ≈60 MiB to both.
    const hashChild = join(dir, 'hash-child.mjs');
    writeFileSync(
      hashChild,
      `import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fox } from ${JSON.stringify(pathToFileURL(join(here, '../../sdk/dist/index.js')).href)};
const [, , mode, file] = process.argv;
const baseMb = process.memoryUsage().rss / 1048576;
const t0 = performance.now();
const digest = mode === 'naive'
  ? createHash('sha256').update(await readFile(file)).digest('hex')
  : await fox.io.hashFile(file);
const ms = performance.now() - t0;
console.log(JSON.stringify({ digest, ms, baseMb, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
await fox.shutdown();`,
    );
    const hashRun = async (mode: string): Promise<HashResult> => {
      const { stdout } = await run(process.execPath, [hashChild, mode, huge]);
      return JSON.parse(stdout.trim().split('\n').pop()!) as HashResult;
    };
    const naiveHash = await hashRun('naive');
    const foxHash = await hashRun('fox');
    for (const [name, r] of [
      ['readFile + hash', naiveHash],
      ['fox.io.hashFile (stream)', foxHash],
    ] as const) {
      rows.push({
        case: `(c) SHA-256 of ${HUGE_MB} MiB`,
        variant: name,
        result: r.digest === digest ? 'correct digest' : 'WRONG digest',
        'wall ms': r.ms.toFixed(0),
        throughput: `${((HUGE_MB / r.ms) * 1000).toFixed(0)} MiB/s`,
        'p99 / peak RSS': `${r.maxRssMb.toFixed(0)} MiB RSS (${r.baseMb.toFixed(0)} before)`,
      });
    }
    const rss = foxHash.maxRssMb / naiveHash.maxRssMb;
    verdicts.push(
      `(c) peak RSS fox/naive = ${(rss * 100).toFixed(1)}% (target ≤ 10%): ${pass(rss <= 0.1 && foxHash.digest === digest)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: 'mfox: I/O lanes against the obvious default',
    command: 'node --import tsx --conditions=source scripts/bench/mfox.ts',
    description:
      'Each variant runs in a fresh process (its own file descriptors and peak RSS); the HTTP server runs in another process; (c) runs plain node on the built sdk (`node scripts/build.mjs` first). (a) median of 5 runs per variant, once with 20,000 files and once with as many as the naive read survives (half the fd limit, at most 5,000); (b) and (c) one run of each; same machine, same run. (b) latency is measured from submission, so it includes time queued in the lane.',
    table: table(rows),
    verdicts,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runMfoxBench();
  console.log([r.title, r.description, r.table, ...r.verdicts].join('\n\n'));
}
