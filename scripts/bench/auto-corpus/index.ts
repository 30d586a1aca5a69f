import * as cpu from './cpu.js';
import * as io from './io.js';
import * as light from './light.js';
import * as mixed from './mixed.js';

/**
 * The labelled corpus of the auto accuracy benchmark: 40 tasks with the workload each is run
 * under (arguments, total calls, calls in flight at once). The label is what a reader would
 * call the task; the benchmark measures which strategy is actually best for each.
 */
export type Label = 'cpu' | 'io' | 'light' | 'mixed';

export interface CorpusEntry {
  label: Label;
  fn: (...args: never[]) => Promise<unknown>;
  args: unknown[];
  calls: number;
  fanOut: number;
}

const e = (
  label: Label,
  fn: (...args: never[]) => Promise<unknown>,
  args: unknown[],
  calls: number,
  fanOut: number,
): CorpusEntry => ({ label, fn, args, calls, fanOut });

/**
 * A light call takes microseconds: 400 of them (≈1 ms in all) were within timer and GC noise,
 * so the fastest mode changed from run to run. This many make each workload ≈10–30 ms.
 */
const LIGHT_CALLS = 10_000;

export const CORPUS: CorpusEntry[] = [
  e('cpu', cpu.shaChain, [256], 64, 8),
  e('cpu', cpu.jsonRoundTrip, [3000], 64, 8),
  e('cpu', cpu.sortLarge, [60_000], 64, 8),
  e('cpu', cpu.regexScan, [6000], 64, 8),
  e('cpu', cpu.primeSieve, [1_500_000], 64, 8),
  e('cpu', cpu.matrix, [110], 64, 8),
  e('cpu', cpu.editDistance, [500], 64, 8),
  e('cpu', cpu.compress, [512], 64, 8),
  e('cpu', cpu.encode64, [4096], 64, 8),
  e('cpu', cpu.fibonacci, [25], 64, 8),
  e('cpu', cpu.hashBatch, [1024], 64, 4),
  e('cpu', cpu.sortMedium, [20_000], 96, 16),
  e('light', light.add, [1, 2], LIGHT_CALLS, 1),
  e('light', light.greet, ['  fox '], LIGHT_CALLS, 1),
  e('light', light.pick, [{ id: 1, name: 'n', x: 2 }], LIGHT_CALLS, 1),
  e('light', light.parseSmall, ['{"n":5}'], LIGHT_CALLS, 1),
  e('light', light.clamp, [150], LIGHT_CALLS, 8),
  e('light', light.isEmail, ['a@b.com'], LIGHT_CALLS, 1),
  e('light', light.lookup, ['k42'], LIGHT_CALLS, 1),
  e('light', light.slug, ['Hello World, Fox!'], LIGHT_CALLS, 1),
  e('light', light.sumSmall, [[1, 2, 3, 4, 5, 6, 7, 8]], LIGHT_CALLS, 8),
  e('light', light.formatPrice, [12345], LIGHT_CALLS, 1),
  e('io', io.getUser, [4], 256, 64),
  e('io', io.getOrders, [8], 256, 64),
  e('io', io.saveEvent, [3], 256, 48),
  e('io', io.twoQueries, [3], 192, 48),
  e('io', io.cacheMiss, [5], 256, 32),
  e('io', io.slowReport, [20], 96, 1),
  e('io', io.healthCheck, [2], 128, 1),
  e('io', io.fanOutFetch, [6], 320, 80),
  e('io', io.bulkRead, [4], 256, 40),
  e('io', io.singleLookup, [5], 96, 2),
  e('mixed', mixed.fetchThenParse, [3000], 64, 8),
  e('mixed', mixed.hashThenStore, [256], 64, 8),
  e('mixed', mixed.renderPage, [500], 128, 32),
  e('mixed', mixed.enrich, [2000], 96, 32),
  e('mixed', mixed.thumbnail, [120], 64, 8),
  e('mixed', mixed.validateAndSave, [200], 128, 48),
  e('mixed', mixed.compressUpload, [256], 64, 8),
  e('mixed', mixed.auditLog, [100], 128, 48),
];
