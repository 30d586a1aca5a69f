import { z } from 'zod';
import { FlowRunFrameSchema } from './flow-run.js';
import { ModeSchema } from './modes.js';
import {
  LatencySummarySchema,
  ProcessStatsSchema,
  TaskCounterStatsSchema,
  TaskStatsSchema,
} from './stats.js';

/**
 * The exporter → profiler wire protocol (JSON text frames over WebSocket). Version 1.
 *
 * A connection starts with a `hello` (the process and its tasks), then carries `aggregates`
 * (one per interval, numbered by `seq`), `spans`, `events` and (while CPU sampling runs)
 * `cpu-profile` frames in any order. A process re-sends `hello` when its task set changes.
 * Every bound below (string lengths, array sizes) is part of the contract: the profiler rejects
 * a frame that exceeds one, so a runaway or hostile client cannot make it allocate without
 * limit.
 */
export const WIRE_VERSION = 1;

/** Largest frame (bytes) an exporter sends and a collector accepts by default. */
export const MAX_FRAME_BYTES = 1 << 20;

/*
 * Every number is bounded to what the profiler's store can hold, so a frame the schema accepts
 * is a frame SQLite accepts: one client's absurd value (1e300 as a time, 0.5 bytes, a negative
 * duration) is rejected here, with its frame, instead of failing a batch of everyone's rows.
 * zod already refuses non-finite numbers, and `.int()` unsafe integers.
 */
const Id = z.string().min(1).max(512);
/** Stored in INTEGER columns. */
const Count = z.number().int().nonnegative();
/** Latest epoch time accepted (2200-01-01): far beyond any clock, far inside an INTEGER. */
export const MAX_EPOCH_MS = Date.UTC(2200, 0, 1);
/** Largest concurrency limit accepted. */
const MAX_LIMIT = 1e9;
/** Longest duration accepted, ms (about 31 years). */
export const MAX_DURATION_MS = 1e12;
/** Wall-clock time, epoch ms (fractional allowed; INTEGER columns round it). */
const EpochMs = z.number().nonnegative().max(MAX_EPOCH_MS);
/** A duration or latency, ms. */
const Ms = z.number().nonnegative().max(MAX_DURATION_MS);
/** A byte count (INTEGER columns). */
const Bytes = z.number().int().nonnegative();

/** A registered task as the hello describes it. */
export const WireTaskSchema = z.object({
  id: Id,
  mode: ModeSchema,
  current: ModeSchema.exclude(['auto']),
  policies: z.array(z.string().max(64)).max(32),
  /** Source path relative to the project root (forward slashes), 1-based line and column. */
  location: z.object({ file: z.string().max(1024), line: Count, column: Count }).nullable(),
});
export type WireTask = z.infer<typeof WireTaskSchema>;

export const WireProcessSchema = z.object({
  /** ULID the process chose at start-up. */
  id: Id,
  pid: z.number().int(),
  argv: z.array(z.string().max(4096)).max(256),
  nodeVersion: z.string().max(64),
  projectRoot: z.string().max(4096),
  /** Epoch ms. */
  startedAt: EpochMs,
});
export type WireProcess = z.infer<typeof WireProcessSchema>;

export const HelloFrameSchema = z.object({
  type: z.literal('hello'),
  v: z.literal(WIRE_VERSION),
  process: WireProcessSchema,
  tasks: z.array(WireTaskSchema).max(10_000),
  /**
   * The highest aggregates `seq` any profiler has acknowledged (stored). A profiler that starts
   * after another one died counts gaps from here, not from 1. Absent before the first ack.
   */
  acked: Count.optional(),
});
export type HelloFrame = z.infer<typeof HelloFrameSchema>;

export const BreakerStateSchema = z.enum(['closed', 'open', 'half-open']);
export type BreakerState = z.infer<typeof BreakerStateSchema>;

/** One task over one interval: the cumulative stats plus what happened in the interval. */
export const TaskAggregateSchema = TaskStatsSchema.extend({
  id: Id,
  latency: LatencySummarySchema.extend({ mean: Ms, p50: Ms, p90: Ms, p99: Ms, max: Ms }),
  limit: z.number().nonnegative().max(MAX_LIMIT).nullable(),
  interval: z.object({
    calls: Count,
    successes: Count,
    errors: Count,
    /** Latency (ms) quantiles of the calls that settled in the interval. */
    p50: Ms,
    p95: Ms,
    p99: Ms,
    max: Ms,
    /**
     * Sparse latency histogram of the interval: `[bucketIndex, count]` pairs in the layout of
     * `LatencyHistogram` (mergeable across intervals and processes). Empty when unknown.
     */
    histogram: z.array(z.tuple([Count, Count])).max(1024),
    histogramSum: Ms,
  }),
  breaker: BreakerStateSchema.nullable(),
  /** What the task's policies did (see TaskStats). Absent from older exporters. */
  counters: TaskCounterStatsSchema.optional(),
  /**
   * Policy parameters the task runs with now (after `configure()` or an approved change), so
   * the editor can show where they differ from the source. Absent from older exporters.
   */
  running: z
    .object({
      timeoutMs: Ms,
      retryAttempts: z.number().int().min(1).max(100),
      bulkheadLimit: Count,
    })
    .partial()
    .optional(),
});
export type TaskAggregate = z.infer<typeof TaskAggregateSchema>;
/** See `TaskAggregate.running`. */
export type RunningParameters = NonNullable<TaskAggregate['running']>;

/** Process gauges: the stats snapshot's process part plus the worker pool's utilisation. */
export const WireGaugesSchema = ProcessStatsSchema.extend({
  uptimeMs: Ms,
  /** Null: no delay sample in the interval ("no data yet"), see `EventLoopDelaySchema`. */
  eventLoopDelay: z.object({ p50: Ms, p99: Ms, max: Ms }).nullable(),
  /** Bounded by what any machine could report (1024 cores' worth); null as in the stats. */
  cpu: z.number().nonnegative().max(1024).nullable(),
  heapUsedBytes: Bytes,
  rssBytes: Bytes,
  /** Busy share (0..1) of the tfox worker pool over the interval; null without a pool. */
  workerPoolUtilization: z.number().min(0).max(1).nullable(),
});
export type WireGauges = z.infer<typeof WireGaugesSchema>;

/**
 * What the exporter could not deliver, cumulative since the process started. The profiler
 * compares these with the `seq` gaps it sees to account for every interval.
 */
export const DropCountersSchema = z.object({
  /** Aggregates frames (intervals) discarded because the send buffer was full. */
  frames: Count,
  /** Sampled spans discarded because the span buffer was full. */
  spans: Count,
  /** Events discarded because the event buffer was full. */
  events: Count,
  /**
   * Aggregates frames sent and never acknowledged (stored) by a profiler that the exporter
   * stopped waiting for (more than its buffer's worth): delivered or not, nobody knows. Frames
   * of a connection that closed before the ack are sent again, not counted here.
   * `frames ≤ missing intervals ≤ frames + unconfirmed`.
   */
  unconfirmed: Count,
  /** Calls the span sampler chose not to record (not a loss: the cap working). */
  sampledOut: Count,
});
export type DropCounters = z.infer<typeof DropCountersSchema>;

export const AggregatesFrameSchema = z.object({
  type: z.literal('aggregates'),
  /** 1, 2, 3… per process; a gap is an interval that never arrived. */
  seq: z.number().int().positive(),
  /** End of the interval, epoch ms. */
  at: EpochMs,
  intervalMs: Ms,
  process: WireGaugesSchema,
  tasks: z.array(TaskAggregateSchema).max(10_000),
  dropped: DropCountersSchema,
});
export type AggregatesFrame = z.infer<typeof AggregatesFrameSchema>;

export const SpanOutcomeSchema = z.enum(['ok', 'error', 'timeout', 'rejected', 'cancelled']);
export type SpanOutcome = z.infer<typeof SpanOutcomeSchema>;

/** One sampled call (or attempt). What the runtime hands to `exporter.spans.record()`. */
export const SpanRecordSchema = z.object({
  /** ULID of the call. */
  runId: Id,
  parentRunId: Id.nullable(),
  taskId: Id,
  /** Epoch ms, fractional allowed. */
  start: EpochMs,
  duration: Ms,
  outcome: SpanOutcomeSchema,
  /** 1 for the first attempt. */
  attempt: z.number().int().positive(),
  /** The concrete mode that ran the call. */
  strategy: ModeSchema.exclude(['auto']),
  /** Error code (see `errorCode`) when the outcome is not `ok`. */
  errorCode: z.string().max(64).optional(),
  /** Id of the chaos experiment that injected a fault into this call (a tagged sample). */
  chaos: Id.optional(),
});
export type SpanRecord = z.infer<typeof SpanRecordSchema>;

export const SpansFrameSchema = z.object({
  type: z.literal('spans'),
  spans: z.array(SpanRecordSchema).max(10_000),
});
export type SpansFrame = z.infer<typeof SpansFrameSchema>;

const EventBase = { at: EpochMs };

const CiIntervalSchema = z.object({ value: z.number(), low: z.number(), high: z.number() });
const ChaosPhaseStatsSchema = z.object({
  calls: Count,
  errors: Count,
  injected: Count,
  errorRate: CiIntervalSchema,
  fallbackRate: CiIntervalSchema.nullable(),
  p50: CiIntervalSchema.nullable(),
  p99: CiIntervalSchema.nullable(),
});

/** A finished chaos experiment's before/during/after report (the sdk's `ChaosReport`). */
export const WireChaosReportSchema = z.object({
  experimentId: Id,
  name: z.string().max(256),
  seed: z.number(),
  startedAt: EpochMs,
  endedAt: EpochMs,
  outcome: z.enum(['completed', 'aborted', 'killed']),
  abortReason: z.string().max(1024).nullable(),
  abortLatencyMs: Ms.nullable(),
  affected: Count,
  tasks: z
    .record(
      Id,
      z.object({
        before: ChaosPhaseStatsSchema,
        during: ChaosPhaseStatsSchema,
        after: ChaosPhaseStatsSchema,
      }),
    )
    .refine((t) => Object.keys(t).length <= 1000, 'at most 1000 tasks'),
});
export type WireChaosReport = z.infer<typeof WireChaosReportSchema>;

/** Something that changed, for the events feed. */
export const WireEventSchema = z.discriminatedUnion('kind', [
  z.object({
    ...EventBase,
    kind: z.literal('breaker'),
    taskId: Id,
    from: BreakerStateSchema,
    to: BreakerStateSchema,
  }),
  z.object({
    ...EventBase,
    kind: z.literal('limit'),
    taskId: Id,
    from: z.number().nonnegative().max(MAX_LIMIT),
    to: z.number().nonnegative().max(MAX_LIMIT),
  }),
  z.object({
    ...EventBase,
    kind: z.literal('strategy'),
    taskId: Id,
    from: ModeSchema,
    to: ModeSchema,
  }),
  z.object({
    ...EventBase,
    kind: z.literal('proposal'),
    proposalId: Id,
    taskId: Id.nullable(),
    summary: z.string().max(1024),
    state: z.enum(['pending', 'approved', 'denied', 'expired', 'applied']),
    /** SHA-256 (hex) of the canonical payload: what an approval must be bound to. */
    payloadHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** Approvals still needed while pending. */
    approvalsNeeded: Count.optional(),
    /** Who approved it so far (named approvers). */
    approvers: z.array(z.string().max(128)).max(32).optional(),
    /** The newest audit log entry about it (entry id): the record behind the change. */
    auditId: Id.optional(),
  }),
  z.object({
    ...EventBase,
    kind: z.literal('chaos'),
    experimentId: Id,
    action: z.enum(['start', 'stop', 'abort']),
    taskIds: z.array(Id).max(1000),
    detail: z.string().max(1024).optional(),
  }),
  z.object({
    ...EventBase,
    kind: z.literal('chaos-report'),
    report: WireChaosReportSchema,
  }),
]);
export type WireEvent = z.infer<typeof WireEventSchema>;

export const EventsFrameSchema = z.object({
  type: z.literal('events'),
  events: z.array(WireEventSchema).max(10_000),
});
export type EventsFrame = z.infer<typeof EventsFrameSchema>;

/**
 * Version of the `cpu-profile` frame, carried in the frame itself. The frame type was added to
 * wire version 1 without bumping {@link WIRE_VERSION}: the hello is unchanged, and a profiler
 * that predates the frame rejects it as invalid and counts it (one refused frame; the
 * connection and every other frame go on), so old profilers and new exporters still talk.
 */
export const CPU_PROFILE_WIRE_VERSION = 1;

/** Most functions one `cpu-profile` frame may carry. */
export const MAX_CPU_FUNCTIONS = 500;
/** Longest sampling window accepted, ms. */
export const MAX_CPU_WINDOW_MS = 3_600_000;

/** One source function's CPU over a window (see the sdk's cpu-profile-aggregate.ts). */
export const CpuFunctionSchema = z
  .object({
    /** Original source path relative to the project root (forward slashes), as in task ids. */
    file: z.string().min(1).max(1024),
    /** 1-based line and column of the function's declaration in the original source. */
    line: z.number().int().positive().max(10_000_000),
    column: z.number().int().positive().max(10_000_000),
    /** The function's name as V8 reports it; `(anonymous)` when it has none. */
    name: z.string().max(256),
    /** Samples whose innermost project frame is this function, as time. */
    selfMs: z.number().nonnegative().max(MAX_CPU_WINDOW_MS),
    /** Samples with this function anywhere on the stack, as time. */
    totalMs: z.number().nonnegative().max(MAX_CPU_WINDOW_MS),
    /** Samples with this function on the stack. */
    samples: Count.max(100_000_000),
    /** Longest run of consecutive samples on this function's stack, as time. */
    longestSyncMs: z.number().nonnegative().max(MAX_CPU_WINDOW_MS).optional(),
  })
  .refine((f) => f.selfMs <= f.totalMs + 1e-6, 'selfMs exceeds totalMs');
export type CpuFunction = z.infer<typeof CpuFunctionSchema>;

/**
 * One function's sampled CPU as its consumers hold it (the profiler's sums, the language
 * server's evidence, the editor's forwarder): a {@link CpuFunction} whose `longestSyncMs` is
 * always known (0 when the producer did not report it). The one declaration of that shape;
 * consumers extend it with what they add (a `windows` count, a window, a process id).
 */
export type CpuFunctionStats = Required<CpuFunction>;

/**
 * One window of the process's sampled CPU, per project function (the process is the one the
 * connection's hello named). Sent only while a profiler listens: see the sdk's cpu-sampler.ts.
 */
export const CpuProfileFrameSchema = z
  .object({
    type: z.literal('cpu-profile'),
    v: z.literal(CPU_PROFILE_WIRE_VERSION),
    /** Window start and end, epoch ms. */
    from: EpochMs,
    to: EpochMs,
    /** V8's sampling interval, µs. */
    intervalUs: z.number().int().min(1).max(1_000_000),
    /** Samples in the window, all code (project or not), idle included. */
    samples: Count.max(100_000_000),
    /** Time of the `(idle)` samples, ms. */
    idleMs: z.number().nonnegative().max(MAX_CPU_WINDOW_MS),
    /** Top functions by total time. */
    functions: z.array(CpuFunctionSchema).max(MAX_CPU_FUNCTIONS),
    /** Project functions left out of `functions` by the exporter's bound. */
    truncated: Count.max(100_000_000),
  })
  .refine((f) => f.to >= f.from && f.to - f.from <= MAX_CPU_WINDOW_MS, 'bad window');
export type CpuProfileFrame = z.infer<typeof CpuProfileFrameSchema>;

/** Any frame an exporter sends. */
export const ExporterFrameSchema = z.discriminatedUnion('type', [
  HelloFrameSchema,
  AggregatesFrameSchema,
  SpansFrameSchema,
  EventsFrameSchema,
  CpuProfileFrameSchema,
  FlowRunFrameSchema,
]);
export type ExporterFrame = z.infer<typeof ExporterFrameSchema>;

/**
 * Profiler → exporter: the highest aggregates `seq` the profiler has accepted, sent after each
 * aggregates frame. Lets the exporter count what a dying connection may have swallowed.
 */
export const AckFrameSchema = z.object({
  type: z.literal('ack'),
  seq: z.number().int().positive(),
});
export type AckFrame = z.infer<typeof AckFrameSchema>;

export type FrameParseResult =
  | { ok: true; frame: ExporterFrame }
  | { ok: false; reason: 'too-large' | 'not-json' | 'invalid'; detail: string };

/**
 * Decodes and validates one text frame. Never throws: a collector counts the failures by
 * reason. `maxBytes` is checked before parsing so an oversized frame costs no JSON work.
 */
export function parseExporterFrame(
  text: string,
  maxBytes: number = MAX_FRAME_BYTES,
): FrameParseResult {
  if (text.length > maxBytes) {
    return { ok: false, reason: 'too-large', detail: `${text.length} > ${maxBytes} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'not-json', detail: (err as Error).message.slice(0, 200) };
  }
  const r = ExporterFrameSchema.safeParse(json);
  if (r.success) return { ok: true, frame: r.data };
  const issue = r.error.issues[0];
  const detail = issue ? `${issue.path.join('.') || '(frame)'}: ${issue.message}` : 'invalid';
  return { ok: false, reason: 'invalid', detail: detail.slice(0, 300) };
}

/**
 * Approvals over the profiler's channel, version 1: the editor (or the browser UI) sends a
 * decision on one process's proposal to the profiler on `/ui`, carrying the profiler token; the
 * profiler checks the token and relays the decision to that process's exporter connection, where
 * the guardian validates it like any other approval (named approver, payload hash, expiry).
 */
export const APPROVAL_WIRE_VERSION = 1;

export const ApprovalDecisionSchema = z
  .object({
    proposalId: Id,
    /** SHA-256 (hex) of the canonical payload the approver was shown. */
    payloadHash: z.string().regex(/^[0-9a-f]{64}$/),
    approver: z.string().min(1).max(128),
    verdict: z.enum(['approve', 'reject']),
    comment: z.string().max(1024).optional(),
  })
  .strict();
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** UI/extension → profiler. */
export const UiApprovalMessageSchema = z
  .object({
    type: z.literal('approval'),
    v: z.literal(APPROVAL_WIRE_VERSION),
    /** The process whose guardian holds the proposal. */
    processId: Id,
    /** The profiler token (the same one as in the connection URL). */
    token: z.string().min(1).max(512),
    decision: ApprovalDecisionSchema,
  })
  .strict();
export type UiApprovalMessage = z.infer<typeof UiApprovalMessageSchema>;

/** Profiler → exporter: a relayed decision. */
export const ApprovalFrameSchema = z
  .object({
    type: z.literal('approval'),
    v: z.literal(APPROVAL_WIRE_VERSION),
    decision: ApprovalDecisionSchema,
  })
  .strict();
export type ApprovalFrame = z.infer<typeof ApprovalFrameSchema>;

/** Largest approval frame either side accepts, bytes. */
export const MAX_APPROVAL_FRAME_BYTES = 4096;

/**
 * The chaos kill switch over the profiler's channel, version 1: the UI (or the editor) asks the
 * profiler, with its token, to stop all chaos injection in one process or in every connected
 * process; the profiler relays a `chaos-kill` frame to each exporter connection concerned.
 */
export const UiChaosKillMessageSchema = z
  .object({
    type: z.literal('chaos-kill'),
    v: z.literal(APPROVAL_WIRE_VERSION),
    token: z.string().min(1).max(512),
    /** One process; omitted = every connected process. */
    processId: Id.optional(),
    reason: z.string().max(256).optional(),
  })
  .strict();
export type UiChaosKillMessage = z.infer<typeof UiChaosKillMessageSchema>;

/** Profiler → exporter: stop all chaos injection in this process now. */
export const ChaosKillFrameSchema = z
  .object({
    type: z.literal('chaos-kill'),
    v: z.literal(APPROVAL_WIRE_VERSION),
    reason: z.string().max(256),
  })
  .strict();
export type ChaosKillFrame = z.infer<typeof ChaosKillFrameSchema>;

/** Any profiler → exporter control frame. */
export const ProfilerControlFrameSchema = z.discriminatedUnion('type', [
  ApprovalFrameSchema,
  ChaosKillFrameSchema,
]);
export type ProfilerControlFrame = z.infer<typeof ProfilerControlFrameSchema>;

/** Decodes a profiler → exporter control frame; undefined for anything else. Never throws. */
export function parseProfilerControlFrame(text: string): ProfilerControlFrame | undefined {
  if (text.length > MAX_APPROVAL_FRAME_BYTES) return undefined;
  try {
    const r = ProfilerControlFrameSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
