import { Agent, get } from 'node:http';

/** The built-in load generator: `concurrency` loops of keep-alive requests over a weighted mix. */
export interface LoadOptions {
  baseUrl: string;
  concurrency: number;
  /** Stop after this many ms; undefined runs until {@link Load.stop}. */
  durationMs?: number;
  /** Pause between a loop's requests, ms (0 = as fast as the service answers). */
  thinkMs?: number;
}

export interface LoadResult {
  requests: number;
  failures: number;
  byStatus: Record<string, number>;
}

export interface Load {
  readonly done: Promise<LoadResult>;
  stop(): void;
}

const MIX: [path: () => string, weight: number][] = [
  [() => `/order?line=SKU-${String(pick(500)).padStart(4, '0')};${1 + pick(5)}`, 5],
  [() => `/stock?sku=SKU-${String(pick(500)).padStart(4, '0')}`, 3],
  [() => `/quote?sku=SKU-${String(pick(500)).padStart(4, '0')}`, 2],
  [() => `/cpu?rounds=${80 + pick(80)}`, 1],
  [() => `/forecast?sku=SKU-${String(pick(500)).padStart(4, '0')}`, 0.6],
  [() => `/catalog?page=${pick(8)}`, 1.5],
  [() => '/order?line=not-a-line', 0.2],
];
const TOTAL = MIX.reduce((n, [, w]) => n + w, 0);

function pick(n: number): number {
  return Math.floor(Math.random() * n);
}

function nextPath(): string {
  let r = Math.random() * TOTAL;
  for (const [path, w] of MIX) {
    if ((r -= w) < 0) return path();
  }
  return MIX[0]![0]();
}

export function startLoad(options: LoadOptions): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const result: LoadResult = { requests: 0, failures: 0, byStatus: {} };
  let stopped = false;
  const timer =
    options.durationMs === undefined
      ? undefined
      : setTimeout(() => (stopped = true), options.durationMs);
  const request = (path: string) =>
    new Promise<number>((resolve) => {
      const req = get(`${options.baseUrl}${path}`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
    });
  const loop = async () => {
    while (!stopped) {
      const status = await request(nextPath());
      result.requests++;
      if (status !== 200) result.failures++;
      result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      if (options.thinkMs) await new Promise((r) => setTimeout(r, options.thinkMs));
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, loop)).then(() => {
    if (timer) clearTimeout(timer);
    agent.destroy();
    return result;
  });
  return {
    done,
    stop: () => {
      stopped = true;
    },
  };
}
