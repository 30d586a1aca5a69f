import type {
  FileAnalysis,
  Finding,
  FoxMode,
  FunctionReport,
  RuleId,
  RuleSetting,
  RuntimeRuleId,
  Severity,
} from '../analysis/types.js';
import type { TaskLiveStats } from '../server/live-stats.js';
import { functionAt, type FunctionCpuEvidence, type FunctionExtent } from './evidence.js';
import type { EvidenceWindow, RunningOptions } from './live-stats-protocol.js';
import {
  TRANSIENT_CODES,
  findBursts,
  formatDuration,
  suggestBreaker,
  suggestRetry,
  suggestTimeout,
} from './suggest.js';

/**
 * Merges static findings with runtime evidence — a pure function of its input (no I/O, no
 * clock), so every rule is a table test.
 *
 * - FOX001 (CPU on the event loop) is *confirmed* when the function measurably holds the loop
 *   (task latency of a CPU-bound task, or the CPU profile's longest synchronous run): warning,
 *   measured numbers in the message. It is *refuted* when it measurably does not (well under a
 *   millisecond over enough calls): a hint saying what was measured.
 * - Runtime-only rules on tasks: FOX101 no timeout with a long tail, FOX102 transient errors a
 *   retry absorbs, FOX103 failures in bursts (breaker), FOX104 tfox calls too short for the
 *   hop, FOX105 sfox holding the loop (tfox), FOX106 running parameters differ from the source.
 *   Each carries its window and sample size in the message and the option change to suggest.
 */

/** What the source declares for a task, read from its options literal. */
export interface SourceTaskOptions {
  /** Option keys present (`timeout`, `retry`…), whatever their value. */
  keys: readonly string[];
  mode?: string;
  timeoutMs?: number;
  retryAttempts?: number;
  bulkheadLimit?: number;
}

/** One option change a runtime finding suggests (turned into source edits by option-edits). */
export type OptionChange =
  | { key: 'mode'; mode: FoxMode }
  | { key: 'timeout'; ms: number; text: string }
  | { key: 'retry'; attempts: number }
  | { key: 'breaker'; text: string }
  | { key: 'bulkhead'; limit: number };

/** The measurement behind a merged finding (the hover shows it). */
export interface Measurement {
  /** One line: "p50 38 ms · p99 120 ms over 1,204 calls". */
  summary: string;
  /** Calls (task evidence) or CPU samples. */
  sampleSize: number;
  window?: EvidenceWindow;
  /** "live from the debug session", "from .fox/fox.db". */
  source?: string;
  runId?: string;
  verdict?: 'confirmed' | 'refuted' | 'measured';
}

/** A finding after the merge: static or runtime, possibly with a measurement and a change. */
export interface MeasuredFinding extends Finding {
  measured?: Measurement;
  /** The `@fox()` options change the finding's quick fix writes. */
  change?: { title: string; changes: OptionChange[] };
  /** FOX106: the approval that set the running values, when known. */
  approval?: RunningOptions['approval'];
}

/** Where the numbers must be before a rule speaks. */
export interface EvidenceThresholds {
  /** Calls a task needs before any runtime finding about it. */
  minCalls: number;
  /** CPU samples a function needs. */
  minSamples: number;
  /** Holding the loop this long per call (or in one run) is blocking. */
  blockingMs: number;
  /** Less than this per call refutes a CPU suspicion. */
  negligibleMs: number;
  /** A tail is long when p99 ≥ ratio × p50 and p99 ≥ tailMinMs. */
  tailRatio: number;
  tailMinMs: number;
  /** The timeout suggestion: this quantile × margin. */
  timeoutQuantile: 0.95 | 0.99;
  timeoutMargin: number;
  /** The sdk retry budget's `ratio` (default budget: 0.1). */
  retryBudgetRatio: number;
  /** Transient errors needed before suggesting a retry. */
  minTransientErrors: number;
  /** A tfox call shorter than this (p50, hop included) does not pay for the worker hop. */
  hopMs: number;
  /** Length of one interval of `intervals`, ms (the exporter's default). */
  intervalMs: number;
}

export const DEFAULT_THRESHOLDS: EvidenceThresholds = {
  minCalls: 100,
  minSamples: 20,
  blockingMs: 10,
  negligibleMs: 1,
  tailRatio: 5,
  tailMinMs: 100,
  timeoutQuantile: 0.99,
  timeoutMargin: 1.5,
  retryBudgetRatio: 0.1,
  minTransientErrors: 3,
  hopMs: 1,
  intervalMs: 1000,
};

export interface MergeInput {
  analysis: Pick<FileAnalysis, 'path' | 'file' | 'functions'>;
  /** Static findings of the file (syntax and type-aware). */
  findings: readonly Finding[];
  /** Measured numbers per task id. */
  stats: (taskId: string) => TaskLiveStats | undefined;
  cpu?: readonly FunctionCpuEvidence[];
  /** Whole-declaration line extents by function id, to place CPU records. */
  extents?: ReadonlyMap<string, FunctionExtent>;
  /** Declared options by task id. */
  sourceOptions?: ReadonlyMap<string, SourceTaskOptions>;
  rules?: Partial<Record<RuleId, RuleSetting>>;
  thresholds?: Partial<EvidenceThresholds>;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** "over 1,204 calls in the last run (live from the debug session)". */
function over(s: TaskLiveStats): string {
  return `over ${count(s.calls)} calls ${s.scope ?? 'in the measured window'}${s.source ? ` (${s.source})` : ''}`;
}

function taskMeasurement(s: TaskLiveStats, verdict?: Measurement['verdict']): Measurement {
  return {
    summary: `p50 ${formatDuration(s.p50)}${s.p95 !== undefined ? ` · p95 ${formatDuration(s.p95)}` : ''} · p99 ${formatDuration(s.p99)} · ${count(s.calls)} calls · ${count(s.errors)} errors`,
    sampleSize: s.calls,
    ...(s.window ? { window: s.window } : {}),
    ...(s.source ? { source: s.source } : {}),
    ...(s.runId ? { runId: s.runId } : {}),
    ...(verdict ? { verdict } : {}),
  };
}

function cpuMeasurement(c: FunctionCpuEvidence, verdict?: Measurement['verdict']): Measurement {
  return {
    summary: `longest synchronous run ${formatDuration(c.longestSyncMs)} · self ${formatDuration(c.selfMs)} · total ${formatDuration(c.totalMs)} · ${count(c.samples)} samples`,
    sampleSize: c.samples,
    ...(c.window ? { window: c.window } : {}),
    ...(c.source ? { source: c.source } : {}),
    ...(verdict ? { verdict } : {}),
  };
}

/** What one function's loop use measures, from the best evidence available. */
interface LoopUse {
  ms: number;
  /** "38 ms per call, p50 over 1,204 calls in the last run". */
  phrase: string;
  measurement: Measurement;
  enough: boolean;
}

function loopUse(
  fn: FunctionReport,
  stats: TaskLiveStats | undefined,
  cpu: FunctionCpuEvidence | undefined,
  t: EvidenceThresholds,
): LoopUse | undefined {
  // The CPU profile measures loop holding directly; task latency only for CPU-bound code,
  // where a call's duration is its CPU time (an I/O wait would count as "holding" otherwise).
  if (cpu && cpu.samples > 0) {
    return {
      ms: cpu.longestSyncMs,
      phrase: `${formatDuration(cpu.longestSyncMs)} at a time (longest synchronous run over ${count(cpu.samples)} CPU samples${cpu.source ? `, ${cpu.source}` : ''})`,
      measurement: cpuMeasurement(cpu),
      enough: cpu.samples >= t.minSamples,
    };
  }
  if (stats && stats.calls > 0 && fn.kind === 'cpu' && stats.current !== 'tfox') {
    return {
      ms: stats.p50,
      phrase: `${formatDuration(stats.p50)} per call, p50 ${over(stats)}`,
      measurement: taskMeasurement(stats),
      enough: stats.calls >= t.minCalls,
    };
  }
  return undefined;
}

function severityFor(rule: RuleId, rules: MergeInput['rules']): Severity | undefined {
  const setting = rules?.[rule];
  if (setting === 'off') return undefined;
  return setting === 'error' ? 'error' : 'warning';
}

/** Merges one file's static findings with the evidence; see the module comment. */
export function mergeEvidence(input: MergeInput): MeasuredFinding[] {
  const t: EvidenceThresholds = { ...DEFAULT_THRESHOLDS, ...input.thresholds };
  const { analysis } = input;
  const byId = new Map(analysis.functions.map((f) => [f.id, f]));
  const cpuById = new Map<string, FunctionCpuEvidence>();
  for (const c of input.cpu ?? []) {
    const fn = functionAt(analysis.functions, c, input.extents);
    if (!fn) continue;
    const prev = cpuById.get(fn.id);
    // Several records for one function (windows, closures folded in): keep the strongest.
    if (!prev || c.longestSyncMs > prev.longestSyncMs) cpuById.set(fn.id, c);
  }

  const out: MeasuredFinding[] = [];
  const confirmedSfox = new Set<string>();
  for (const f of input.findings) {
    const fn = f.functionId ? byId.get(f.functionId) : undefined;
    if (!fn || (f.rule !== 'FOX001' && f.rule !== 'FOX007')) {
      out.push(f);
      continue;
    }
    const stats = fn.task ? input.stats(fn.id) : undefined;
    const use = loopUse(fn, stats, cpuById.get(fn.id), t);
    // FOX007 also covers tfox on I/O code; only its "sfox on CPU-heavy code" half is measured.
    const sfoxOnCpu = f.rule === 'FOX007' && fn.task?.mode === 'sfox';
    if (!use || !use.enough || (f.rule === 'FOX007' && !sfoxOnCpu)) {
      out.push(f);
      continue;
    }
    if (use.ms >= t.blockingMs) {
      if (sfoxOnCpu) confirmedSfox.add(fn.id);
      out.push({
        ...f,
        severity: f.severity === 'error' ? 'error' : 'warning',
        confidence: 'certain',
        message: `'${fn.name}' holds the event loop ${use.phrase}. ${f.message}`,
        measured: { ...use.measurement, verdict: 'confirmed' },
      });
    } else if (use.ms < t.negligibleMs) {
      out.push({
        ...f,
        severity: 'hint',
        message: `Measured ${use.phrase}: not worth a worker thread. (Static suspicion: ${f.message})`,
        measured: { ...use.measurement, verdict: 'refuted' },
      });
    } else {
      out.push({ ...f, measured: { ...use.measurement, verdict: 'measured' } });
    }
  }

  for (const fn of analysis.functions) {
    if (!fn.task) continue;
    const stats = input.stats(fn.id);
    const declared = input.sourceOptions?.get(fn.id);
    const keys = new Set(declared?.keys ?? fn.task.options);
    /** A finding about the task itself (not a static finding's line): the runtime rules'. */
    const taskFinding = (
      rule: RuntimeRuleId,
      severity: Severity,
      message: string,
      pattern: string,
      measured: Measurement,
      change?: MeasuredFinding['change'],
    ): MeasuredFinding => ({
      rule,
      severity,
      confidence: 'certain',
      file: analysis.file,
      path: analysis.path,
      line: fn.line,
      column: fn.column,
      range: fn.range,
      message,
      pattern,
      functionId: fn.id,
      evidence: [],
      fixes: [],
      measured,
      ...(change ? { change } : {}),
    });
    const report = (
      rule: RuntimeRuleId,
      message: string,
      measured: Measurement,
      change?: MeasuredFinding['change'],
    ): void => {
      const configured = severityFor(rule, input.rules);
      if (!configured) return;
      out.push(
        taskFinding(
          rule,
          configured,
          message,
          change?.changes[0]?.key ?? 'runtime',
          measured,
          change,
        ),
      );
    };

    // FOX106 needs no sample size: it compares parameters, not measurements. It is a hint
    // whatever its setting, so only `off` changes anything.
    const running = stats?.running;
    if (running && stats && input.rules?.FOX106 !== 'off') {
      const diff = runningDiff(
        declared ?? { keys: [...keys], ...(fn.task.mode ? { mode: fn.task.mode } : {}) },
        running,
      );
      if (diff.length > 0) {
        const approval = running.approval;
        out.push({
          ...taskFinding(
            'FOX106',
            'hint',
            `running: ${diff.map((d) => d.running).join(', ')} (source: ${diff.map((d) => d.source).join(', ')})${approval ? ` — ${approval.summary}` : ''}`,
            'running-parameters',
            taskMeasurement(stats),
            {
              title: 'Write the running values into the source',
              changes: diff.map((d) => d.change),
            },
          ),
          ...(approval ? { approval } : {}),
        });
      }
    }

    if (!stats || stats.calls < t.minCalls) continue;
    const current = stats.current ?? fn.task.mode;

    // FOX101: no timeout, long tail.
    const timeoutRunning = running?.timeoutMs !== undefined;
    // A timeout cannot cut CPU work that holds the loop: there the tail is FOX001/FOX105's.
    const cuttable = fn.kind !== 'cpu' || current === 'tfox';
    if (
      !keys.has('timeout') &&
      !timeoutRunning &&
      cuttable &&
      stats.p99 >= t.tailMinMs &&
      stats.p99 >= t.tailRatio * Math.max(stats.p50, 0.001)
    ) {
      const useP95 = t.timeoutQuantile === 0.95 && stats.p95 !== undefined;
      const q = useP95 ? stats.p95! : stats.p99;
      const qName = useP95 ? 'p95' : 'p99';
      const s = suggestTimeout(q, t.timeoutQuantile, t.timeoutMargin);
      report(
        'FOX101',
        `'${fn.name}' has no timeout and a long latency tail: p99 ${formatDuration(stats.p99)} vs p50 ${formatDuration(stats.p50)} ${over(stats)}. Add timeout '${s.text}' (${qName} × ${t.timeoutMargin}).`,
        taskMeasurement(stats, 'measured'),
        {
          title: `Add timeout: '${s.text}' (${qName} ${formatDuration(q)} × ${t.timeoutMargin})`,
          changes: [{ key: 'timeout', ms: s.ms, text: s.text }],
        },
      );
    }

    // FOX102 / FOX103: errors. Bursts are a breaker's job; spread transient errors a retry's.
    const bursts = stats.intervals ? findBursts(stats.intervals) : undefined;
    const bursty =
      bursts !== undefined &&
      stats.errors > 0 &&
      (bursts.bursts >= 2 || bursts.longest >= 3) &&
      bursts.errorsInBursts >= 0.8;
    if (bursty && !keys.has('breaker') && bursts) {
      const seconds = ((stats.intervals?.length ?? 1) * t.intervalMs) / 1000;
      const b = suggestBreaker(stats.calls / Math.max(1, seconds), t.intervalMs, bursts.longest);
      report(
        'FOX103',
        `'${fn.name}' fails in bursts: ${bursts.bursts} burst(s), the longest ${bursts.longest} interval(s), ${Math.round(bursts.errorsInBursts * 100)}% of ${count(stats.errors)} errors inside them, ${over(stats)}. A breaker stops calling the dependency while it is down.`,
        taskMeasurement(stats, 'measured'),
        { title: `Add breaker: ${b.text}`, changes: [{ key: 'breaker', text: b.text }] },
      );
    } else if (!keys.has('retry') && running?.retryAttempts === undefined && stats.errorsByCode) {
      const transient = Object.entries(stats.errorsByCode).filter(([code]) =>
        TRANSIENT_CODES.has(code),
      );
      const n = transient.reduce((a, [, c]) => a + c, 0);
      if (n >= t.minTransientErrors && n >= 0.8 * stats.errors) {
        const rate = n / stats.calls;
        const r = suggestRetry(rate, { budgetRatio: t.retryBudgetRatio });
        const codes = transient.map(([code, c]) => `${code} ×${count(c)}`).join(', ');
        if (r) {
          report(
            'FOX102',
            `'${fn.name}' fails with transient errors (${codes}): ${(rate * 100).toFixed(1)}% of calls ${over(stats)}. retry: ${r.attempts} leaves about ${(r.residualFailureRate * 100).toPrecision(2)}% failing and adds ${(r.retriesPerCall * 100).toPrecision(2)}% retries per call (budget ${r.budgetRatio * 100}%).`,
            taskMeasurement(stats, 'measured'),
            {
              title: `Add retry: ${r.attempts} (transient ${codes})`,
              changes: [{ key: 'retry', attempts: r.attempts }],
            },
          );
        }
      }
    }

    // FOX104: tfox calls too short for the worker hop.
    if (current === 'tfox' && stats.p50 < t.hopMs) {
      report(
        'FOX104',
        `'${fn.name}' runs as tfox but its calls take ${formatDuration(stats.p50)} (p50 ${over(stats)}, worker hop included): the hop costs more than the work. Run it as sfox.`,
        taskMeasurement(stats, 'measured'),
        { title: "Change mode to 'sfox' (measured)", changes: [{ key: 'mode', mode: 'sfox' }] },
      );
    }

    // FOX105: sfox holding the loop (unless FOX007 already says so, confirmed above).
    if (current === 'sfox' && !confirmedSfox.has(fn.id)) {
      const use = loopUse(fn, stats, cpuById.get(fn.id), t);
      if (use?.enough && use.ms >= t.blockingMs) {
        // tfox imports the function by export name: only exported functions can move.
        const eligible = fn.exported && fn.task.via === 'wrap';
        report(
          'FOX105',
          `'${fn.name}' runs as sfox and holds the event loop ${use.phrase}.${eligible ? ' Run it on a worker thread with tfox.' : ' It cannot move to tfox as it is (a worker imports exported functions by name): export it as a fox(…) function, or split the CPU work out.'}`,
          use.measurement,
          eligible
            ? {
                title: "Change mode to 'tfox' (measured)",
                changes: [{ key: 'mode', mode: 'tfox' }],
              }
            : undefined,
        );
      }
    }
  }
  return out;
}

/** Readable option value for messages: `timeout 1.5s`, `retry 5`. */
function durationText(ms: number): string {
  return ms % 1000 === 0 || (ms >= 1000 && ms % 100 === 0) ? `${ms / 1000}s` : `${ms}ms`;
}

interface RunningDifference {
  running: string;
  source: string;
  change: OptionChange;
}

/** The running parameters that differ from the declared ones (absent in source counts). */
export function runningDiff(
  declared: SourceTaskOptions,
  running: RunningOptions,
): RunningDifference[] {
  const out: RunningDifference[] = [];
  const modes: readonly string[] = ['sfox', 'wfox', 'tfox', 'mfox'];
  if (
    running.mode !== undefined &&
    declared.mode !== undefined &&
    running.mode !== declared.mode &&
    modes.includes(running.mode)
  ) {
    out.push({
      running: `mode ${running.mode}`,
      source: `mode ${declared.mode}`,
      change: { key: 'mode', mode: running.mode as FoxMode },
    });
  }
  if (running.timeoutMs !== undefined && running.timeoutMs !== declared.timeoutMs) {
    const text = durationText(running.timeoutMs);
    out.push({
      running: `timeout ${text}`,
      source:
        declared.timeoutMs !== undefined
          ? `timeout ${durationText(declared.timeoutMs)}`
          : declared.keys.includes('timeout')
            ? 'timeout (not a literal)'
            : 'no timeout',
      change: { key: 'timeout', ms: running.timeoutMs, text },
    });
  }
  if (running.retryAttempts !== undefined && running.retryAttempts !== declared.retryAttempts) {
    out.push({
      running: `retry ${running.retryAttempts}`,
      source:
        declared.retryAttempts !== undefined
          ? `retry ${declared.retryAttempts}`
          : declared.keys.includes('retry')
            ? 'retry (not a literal)'
            : 'no retry',
      change: { key: 'retry', attempts: running.retryAttempts },
    });
  }
  if (running.bulkheadLimit !== undefined && running.bulkheadLimit !== declared.bulkheadLimit) {
    out.push({
      running: `bulkhead ${running.bulkheadLimit}`,
      source:
        declared.bulkheadLimit !== undefined ? `bulkhead ${declared.bulkheadLimit}` : 'no bulkhead',
      change: { key: 'bulkhead', limit: running.bulkheadLimit },
    });
  }
  return out;
}
