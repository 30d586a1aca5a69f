import { createHash } from 'node:crypto';
import { createReadStream, readFile as readFileCb } from 'node:fs';
import { createInterface } from 'node:readline';
import { fetch as undiciFetch, type RequestInfo, type RequestInit, type Response } from 'undici';
import { currentCall } from '../../context/run-context.js';
import type { LaneStats } from './lane.js';
import { lanes } from './lanes.js';

/**
 * `fox.io`: I/O helpers that run in lanes, for mfox tasks (and any code). Files go through
 * the `fs` lane, so no number of concurrent callers can exhaust file descriptors (EMFILE);
 * HTTP goes through one lane and one keep-alive agent per origin.
 *
 * Do not call a helper of a lane from a task running in that same lane with every slot busy:
 * it would wait for itself. mfox tasks default to the `io` lane for that reason.
 */
export interface FoxIo {
  /**
   * `fetch` in the origin's lane with a keep-alive connection pool. Signal-aware: `init.signal`
   * (or the current fox call's signal) removes a queued request and aborts a running one.
   */
  fetch(input: RequestInfo, init?: RequestInit): Promise<Response>;
  /** Reads a whole file in the `fs` lane. */
  readFile(path: string): Promise<Buffer>;
  readFile(path: string, encoding: BufferEncoding): Promise<string>;
  /**
   * Reads many (small) files: in order, through the `fs` lane in batches (one lane slot reads
   * `batch` files back to back), so 20,000 paths never mean 20,000 open files.
   */
  readFiles(paths: readonly string[], options?: { batch?: number }): Promise<Buffer[]>;
  /** Streams a file in chunks with backpressure, holding one `fs` lane slot while it reads. */
  chunks(path: string, options?: { highWaterMark?: number }): AsyncGenerator<Buffer>;
  /** Streams a file's lines (UTF-8) with backpressure. */
  lines(path: string): AsyncGenerator<string>;
  /** Hashes a file by streaming it (constant memory, whatever the file size). */
  hashFile(path: string, algorithm?: string): Promise<string>;
  /** Live numbers of every lane. */
  lanes(): LaneStats[];
}

const EMFILE_RETRIES = 8;

function readOne(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let tries = 0;
    const attempt = (): void =>
      readFileCb(path, (err, data) => {
        // The lane keeps us far from the limit, but other code in the process may not be.
        if (err && err.code === 'EMFILE' && tries++ < EMFILE_RETRIES) {
          setTimeout(attempt, 2 ** tries);
          return;
        }
        if (err) reject(err);
        else resolve(data);
      });
    attempt();
  });
}

async function readFile(path: string, encoding?: BufferEncoding): Promise<Buffer | string> {
  const data = await lanes()
    .get('fs')
    .run(() => readOne(path));
  return encoding ? data.toString(encoding) : data;
}

async function readFiles(
  paths: readonly string[],
  options: { batch?: number } = {},
): Promise<Buffer[]> {
  const batch = Math.max(1, options.batch ?? 8);
  const lane = lanes().get('fs');
  const out = new Array<Buffer>(paths.length);
  const jobs: Promise<void>[] = [];
  for (let start = 0; start < paths.length; start += batch) {
    const end = Math.min(paths.length, start + batch);
    jobs.push(
      lane.run(async () => {
        for (let i = start; i < end; i++) out[i] = await readOne(paths[i]!);
      }),
    );
  }
  await Promise.all(jobs);
  return out;
}

/**
 * Holds a slot of the `fs` lane for as long as a stream is open (a stream holds a file
 * descriptor the whole time, so it counts against the lane like a read in progress). Resolves
 * once admitted; call the returned release when the stream is done.
 */
async function holdFsSlot(): Promise<() => Promise<void>> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let admitted!: () => void;
  const admission = new Promise<void>((r) => (admitted = r));
  const slot = lanes()
    .get('fs')
    .run(() => {
      admitted();
      return held;
    });
  await Promise.race([admission, slot]);
  return async () => {
    release();
    await slot;
  };
}

async function* chunks(
  path: string,
  options: { highWaterMark?: number } = {},
): AsyncGenerator<Buffer> {
  const done = await holdFsSlot();
  try {
    const stream = createReadStream(path, { highWaterMark: options.highWaterMark ?? 1 << 20 });
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    await done();
  }
}

async function* lines(path: string): AsyncGenerator<string> {
  const done = await holdFsSlot();
  try {
    const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    for await (const line of rl) yield line;
  } finally {
    await done();
  }
}

async function hashFile(path: string, algorithm = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  // 256 KiB chunks: as fast as 1 MiB for hashing, and less garbage between collections.
  for await (const chunk of chunks(path, { highWaterMark: 256 * 1024 })) hash.update(chunk);
  return hash.digest('hex');
}

function originOf(input: RequestInfo): string {
  if (typeof input === 'string') return new URL(input).origin;
  if (input instanceof URL) return input.origin;
  return new URL((input as { url: string }).url).origin;
}

function fetchInLane(input: RequestInfo, init?: RequestInit): Promise<Response> {
  const { lane, agent } = lanes().origin(originOf(input));
  const signal = init?.signal ?? currentCall()?.callerSignal ?? undefined;
  return lane.run(
    () => undiciFetch(input, { ...init, signal, dispatcher: agent }),
    signal ?? undefined,
  );
}

export const io: FoxIo = {
  fetch: fetchInLane,
  readFile: readFile as FoxIo['readFile'],
  readFiles,
  chunks,
  lines,
  hashFile,
  lanes: () => lanes().stats(),
};
