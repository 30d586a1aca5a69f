/**
 * Parameter suggestions computed from measurements: pure functions, no I/O, property-tested.
 * Each returns the value and the source text to write into the `@fox()` options.
 */

/** Largest delay `setTimeout` honours; the sdk's timeout option rejects more. */
const MAX_TIMER_MS = 2_147_483_647;

/** A duration as it should read in source: `'450ms'`, `'1.3s'`, `'12s'`. */
export interface ReadableDuration {
  ms: number;
  /** A string the sdk's `parseDuration` reads back as exactly `ms`. */
  text: string;
}

/**
 * Rounds `ms` up to a duration with at most two significant digits, so the suggestion reads
 * like something a person chose (`'1.3s'`, not `1247.8`) and is never below the input.
 */
export function readableDurationAtLeast(ms: number): ReadableDuration {
  const v = Math.min(MAX_TIMER_MS, Math.max(1, ms));
  if (v < 1000) {
    const step = v < 100 ? 1 : 10;
    const r = Math.min(1000, Math.ceil(v / step) * step);
    return r === 1000 ? { ms: 1000, text: '1s' } : { ms: r, text: `${r}ms` };
  }
  if (v < 10_000) {
    const tenths = Math.ceil(v / 100);
    const r = tenths * 100;
    return { ms: r, text: tenths % 10 === 0 ? `${tenths / 10}s` : `${(tenths / 10).toFixed(1)}s` };
  }
  const seconds = Math.ceil(v / 1000);
  const step = seconds < 100 ? 1 : 10 ** (Math.floor(Math.log10(seconds)) - 1);
  const r = Math.min(Math.floor(MAX_TIMER_MS / 1000), Math.ceil(seconds / step) * step);
  return { ms: r * 1000, text: `${r}s` };
}

/** The same reading for any duration (rounded to the nearest step, not up): for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Number(ms.toPrecision(1))} ms`;
  if (ms < 1000) return `${Number(ms.toPrecision(2))} ms`;
  return `${Number((ms / 1000).toPrecision(2))} s`;
}

export interface TimeoutSuggestion extends ReadableDuration {
  /** The quantile it is derived from (e.g. 0.99) and its measured value. */
  quantile: number;
  observedMs: number;
  margin: number;
}

/**
 * A timeout for a task with a long latency tail: the observed quantile × margin, rounded up to
 * a readable duration. Calls the timeout cuts are the slowest `1 − quantile` share at most.
 */
export function suggestTimeout(
  observedMs: number,
  quantile = 0.99,
  margin = 1.5,
): TimeoutSuggestion {
  return { ...readableDurationAtLeast(observedMs * margin), quantile, observedMs, margin };
}

/** Retries a retry policy would add per call, on average, for failures independent with rate p. */
export function expectedRetriesPerCall(failureRate: number, attempts: number): number {
  let sum = 0;
  let pk = 1;
  for (let k = 1; k < attempts; k++) {
    pk *= failureRate;
    sum += pk;
  }
  return sum;
}

export interface RetrySuggestion {
  /** Total attempts, the first included (the sdk's `retry.attempts`). */
  attempts: number;
  /** Share of calls still failing after the retries, if failures are independent. */
  residualFailureRate: number;
  /** Retries per call this adds on average; never above `budgetRatio`. */
  retriesPerCall: number;
  budgetRatio: number;
}

export interface RetrySuggestionOptions {
  /** The sdk retry budget's `ratio` (retries allowed as a share of calls; default 0.1). */
  budgetRatio?: number;
  /** Failure share after retries that is good enough (default 0.001). */
  targetResidual?: number;
  /** Upper bound on attempts (default 5; the sdk allows 100). */
  maxAttempts?: number;
}

/**
 * Attempts for a task whose failures are transient at rate `failureRate`: the fewest that bring
 * the residual failure share under the target, reduced until the retries they add stay within
 * the retry budget. Undefined when even one retry would exceed the budget (a retry storm in
 * the making: that is a breaker's job) or when nothing fails.
 */
export function suggestRetry(
  failureRate: number,
  options: RetrySuggestionOptions = {},
): RetrySuggestion | undefined {
  const budgetRatio = options.budgetRatio ?? 0.1;
  const target = options.targetResidual ?? 0.001;
  const max = Math.max(2, Math.min(100, options.maxAttempts ?? 5));
  if (!(failureRate > 0) || failureRate >= 1) return undefined;
  let attempts = 2;
  while (attempts < max && failureRate ** attempts > target) attempts++;
  while (attempts >= 2 && expectedRetriesPerCall(failureRate, attempts) > budgetRatio) attempts--;
  if (attempts < 2) return undefined;
  return {
    attempts,
    residualFailureRate: failureRate ** attempts,
    retriesPerCall: expectedRetriesPerCall(failureRate, attempts),
    budgetRatio,
  };
}

/** Error codes a retry usually absorbs: connection resets, timeouts, refused or busy peers. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'FOX_TIMEOUT',
]);

export interface BurstSummary {
  /** Runs of consecutive failing intervals (error share ≥ threshold). */
  bursts: number;
  /** The longest run, in intervals. */
  longest: number;
  /** Errors inside bursts as a share of all errors. */
  errorsInBursts: number;
  /** Error share of the calls outside bursts. */
  quietErrorRate: number;
}

/**
 * Finds failure bursts in a series of intervals: runs of intervals whose error share is at
 * least `threshold`. A dependency that fails in bursts (errors concentrated in runs, calm in
 * between) is what a breaker is for; evenly spread errors are a retry's.
 */
export function findBursts(
  intervals: readonly { calls: number; errors: number }[],
  threshold = 0.5,
): BurstSummary {
  let bursts = 0;
  let longest = 0;
  let run = 0;
  let inBurstErrors = 0;
  let totalErrors = 0;
  let quietCalls = 0;
  let quietErrors = 0;
  for (const i of intervals) {
    totalErrors += i.errors;
    const failing = i.calls > 0 && i.errors / i.calls >= threshold;
    if (failing) {
      if (run === 0) bursts++;
      run++;
      longest = Math.max(longest, run);
      inBurstErrors += i.errors;
    } else {
      if (i.calls > 0) run = 0;
      quietCalls += i.calls;
      quietErrors += i.errors;
    }
  }
  return {
    bursts,
    longest,
    errorsInBursts: totalErrors === 0 ? 0 : inBurstErrors / totalErrors,
    quietErrorRate: quietCalls === 0 ? 0 : quietErrors / quietCalls,
  };
}

export interface BreakerSuggestion {
  failureRate: number;
  window: ReadableDuration;
  minCalls: number;
  /** Source text of the option value. */
  text: string;
}

/**
 * A rate breaker for a task failing in bursts: opens at a 50 % failure share over a window
 * about as long as the shortest burst seen (at least 5 s), once the window holds enough calls
 * to judge (a fifth of what the window sees at the measured rate, 5–100).
 */
export function suggestBreaker(
  callsPerSecond: number,
  intervalMs: number,
  longestBurst: number,
): BreakerSuggestion {
  const window = readableDurationAtLeast(
    Math.max(5000, Math.min(60_000, intervalMs * Math.max(1, longestBurst))),
  );
  const minCalls = Math.max(5, Math.min(100, Math.round((callsPerSecond * window.ms) / 1000 / 5)));
  return {
    failureRate: 0.5,
    window,
    minCalls,
    text: `{ failureRate: 0.5, window: '${window.text}', minCalls: ${minCalls} }`,
  };
}
