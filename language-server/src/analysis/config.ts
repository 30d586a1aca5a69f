import { z } from 'zod';
import { CONFIDENCES } from './confidence.js';
import { readTestRunnerPatterns, type TestRunnerPatterns } from './test-runner-config.js';
import type { Confidence, RuleId, RuleSetting } from './types.js';

export const RULE_IDS = [
  'FOX001',
  'FOX002',
  'FOX003',
  'FOX004',
  'FOX005',
  'FOX006',
  'FOX007',
  'FOX008',
  'FOX009',
  // Runtime-evidence rules (language-server/src/runtime-evidence): configurable the same way.
  'FOX101',
  'FOX102',
  'FOX103',
  'FOX104',
  'FOX105',
  'FOX106',
] as const satisfies readonly RuleId[];

const Setting = z.enum(['off', 'warn', 'error']);

/** Schema of `fox.config.json` and of `package.json#fox` (the analyser reads `analysis` only). */
export const AnalysisConfigSchema = z
  .object({
    rules: z
      .object(Object.fromEntries(RULE_IDS.map((id) => [id, Setting.optional()])))
      .strict()
      .optional(),
    /** Timeout inserted by the "add a timeout" quick fixes, in ms. */
    timeoutMs: z.number().int().positive().max(600_000).optional(),
    /** Concurrency of the lane the fan-out quick fix declares. */
    laneLimit: z.number().int().positive().max(10_000).optional(),
    /** Path prefixes (relative to the project root) the analyser skips. */
    exclude: z.array(z.string().min(1)).optional(),
    /** The least confidence a finding needs to keep its rule's severity; below it, a hint. */
    minConfidence: z.enum(CONFIDENCES).optional(),
    /** Globs (relative to the project root) of test code, added to the path conventions. */
    testGlobs: z.array(z.string().min(1)).optional(),
    /**
     * Globs (relative to the project root) of browser code, added to the frontend folder
     * conventions: the Node runtime rules (FOX001–FOX004) skip it.
     */
    browserGlobs: z.array(z.string().min(1)).optional(),
  })
  // Other top-level keys belong to the runtime (store, profiler…), which shares the file.
  .loose();

/** Resolved analyser configuration. */
export interface AnalysisConfig {
  rules: Partial<Record<RuleId, RuleSetting>>;
  timeoutMs: number;
  laneLimit: number;
  exclude: string[];
  /** Findings less sure than this are hints (default `certain`). */
  minConfidence: Confidence;
  /** Extra test-code globs; findings in test code are at most `possible`. */
  testGlobs: string[];
  /** Extra browser-code globs; the Node runtime rules skip browser code. */
  browserGlobs: string[];
  /**
   * Test files the project's test runner config selects (read by `loadAnalysisConfig`, absent
   * for a config parsed on its own); test code like `testGlobs`.
   */
  testRunnerPatterns?: TestRunnerPatterns;
  /** Where it came from, for messages. */
  source?: string;
}

export const DEFAULT_CONFIG: AnalysisConfig = {
  rules: {},
  timeoutMs: 5000,
  laneLimit: 8,
  exclude: [],
  minConfidence: 'certain',
  testGlobs: [],
  browserGlobs: [],
};

/** A config file that does not parse or does not match the schema. */
export class AnalysisConfigError extends Error {
  readonly code = 'FOX_ANALYSIS_CONFIG';
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`Invalid Fox analysis config in ${file}:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'AnalysisConfigError';
  }
}

export function isAnalysisConfigError(e: unknown): e is AnalysisConfigError {
  return e instanceof AnalysisConfigError;
}

/** Validates a config object (from either file); throws AnalysisConfigError with every issue. */
export function parseAnalysisConfig(value: unknown, source: string): AnalysisConfig {
  const parsed = AnalysisConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new AnalysisConfigError(
      source,
      parsed.error.issues.map(
        (i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`,
      ),
    );
  }
  const c = parsed.data;
  return {
    rules: (c.rules ?? {}) as Partial<Record<RuleId, RuleSetting>>,
    timeoutMs: c.timeoutMs ?? DEFAULT_CONFIG.timeoutMs,
    laneLimit: c.laneLimit ?? DEFAULT_CONFIG.laneLimit,
    exclude: c.exclude ?? [],
    minConfidence: c.minConfidence ?? DEFAULT_CONFIG.minConfidence,
    testGlobs: c.testGlobs ?? [],
    browserGlobs: c.browserGlobs ?? [],
    source,
  };
}

/**
 * Loads the config of the project at `root`: `fox.config.json` when present, else the `fox` key
 * of `package.json`, else the defaults; with the test files its test runner config selects. `readFile` returns undefined for a missing file, which
 * lets the same code read from disk and from an in-memory file system.
 */
export function loadAnalysisConfig(
  root: string,
  readFile: (path: string) => string | undefined,
): AnalysisConfig {
  const config = loadOwnConfig(root, readFile);
  const runner = readTestRunnerPatterns(root, readFile);
  return runner.sources.length ? { ...config, testRunnerPatterns: runner } : config;
}

/** `fox.config.json`, else `package.json#fox`, else the defaults. */
function loadOwnConfig(
  root: string,
  readFile: (path: string) => string | undefined,
): AnalysisConfig {
  const dir = root.replace(/[\\/]+$/, '');
  const own = `${dir}/fox.config.json`;
  const text = readFile(own);
  if (text !== undefined) return parseAnalysisConfig(parseJson(text, own), own);
  const pkgPath = `${dir}/package.json`;
  const pkg = readFile(pkgPath);
  if (pkg !== undefined) {
    const json = parseJson(pkg, pkgPath);
    if (json && typeof json === 'object' && 'fox' in json) {
      return parseAnalysisConfig((json as { fox: unknown }).fox, `${pkgPath}#fox`);
    }
  }
  return { ...DEFAULT_CONFIG };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AnalysisConfigError(file, [`not valid JSON: ${(e as Error).message}`]);
  }
}
