import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CacheStatsSnapshot } from '../../src/policies/cache/cache-stats.js';

/** What the cache child (cache-tiers-child.ts) runs with. */
export interface CacheChildOptions {
  tiers: string[];
  ttl?: number;
  sqlite?: Record<string, unknown>;
  redis?: Record<string, unknown>;
  cacheRedis?: string;
  arg?: number;
  delayMs?: number;
  /** File the task appends its pid to each time it runs. */
  log?: string;
  /** Wait for a line on stdin before calling (to line N children up). */
  waitForGo?: boolean;
}

export interface CacheChildResult {
  value: { n: number; square: number; by: number };
  stats: CacheStatsSnapshot;
}

const CHILD = fileURLToPath(new URL('./cache-tiers-child.ts', import.meta.url));

/** A started cache child: `ready` resolves once it printed `ready`, `result` when it is done. */
export interface CacheChild {
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  /** Resolves when the child prints `computing` (its task started running). */
  readonly computing: Promise<void>;
  readonly result: Promise<CacheChildResult>;
  go(): void;
}

export function startCacheChild(options: CacheChildOptions): CacheChild {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CHILD], {
    env: { ...process.env, FOX_CACHE_CHILD: JSON.stringify(options), FOX_PROFILER: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onReady!: () => void;
  let onComputing!: () => void;
  let noComputing!: (err: Error) => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const computing = new Promise<void>((resolve, reject) => {
    onComputing = resolve;
    noComputing = reject;
  });
  computing.catch(() => undefined);
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) onReady();
    if (out.includes('computing\n')) onComputing();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<CacheChildResult>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      noComputing(new Error(`cache child exited ${code ?? signal} before computing: ${err}`));
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`cache child exited ${code ?? signal}: ${out}\n${err}`));
        return;
      }
      resolve(JSON.parse(last) as CacheChildResult);
    });
  });
  result.catch(() => undefined);
  return {
    process: child,
    ready,
    computing,
    result,
    go: () => child.stdin!.write('go\n'),
  };
}

/** Runs a cache child to the end (no waiting for go). */
export function runCacheChild(options: CacheChildOptions): Promise<CacheChildResult> {
  return startCacheChild({ ...options, waitForGo: false }).result;
}
