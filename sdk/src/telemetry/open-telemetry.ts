import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isInjected } from '../chaos/hook.js';
import type { Call } from '../task/call.js';
import { errorCode } from './task-metrics.js';

/*
 * The OpenTelemetry bridge: when the program has registered a tracer provider with
 * `@opentelemetry/api`, every fox call becomes a span there too — a child of whatever span is
 * active at the call (an HTTP server span, a user span, an outer fox call), and the parent of
 * the spans made inside it. The sdk does not depend on the package: it finds the program's copy
 * (the API keeps its registrations on a process-wide global, so any copy of the same major
 * version sees them) and types the few members it uses structurally.
 */

/** The members of `@opentelemetry/api` the bridge uses. */
export interface OpenTelemetryApi {
  trace: {
    getTracerProvider(): OtelTracerProvider;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
  context: {
    active(): OtelContext;
    with<A extends unknown[], R>(
      context: OtelContext,
      fn: (...args: A) => R,
      thisArg?: unknown,
      ...args: A
    ): R;
  };
}

type OtelContext = object;
type Attributes = Record<string, string | number | boolean>;

interface OtelTracerProvider {
  getTracer(name: string, version?: string): OtelTracer;
  /** On the API's proxy provider: the registered provider's tracer, undefined when none is. */
  getDelegateTracer?(name: string, version?: string): OtelTracer | undefined;
}

interface OtelTracer {
  startSpan(
    name: string,
    options: { kind: number; attributes: Attributes },
    context: OtelContext,
  ): OtelSpan;
}

interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): unknown;
  end(): void;
}

/** `SpanKind.INTERNAL` and `SpanStatusCode.ERROR` (stable values of the OpenTelemetry API). */
const SPAN_KIND_INTERNAL = 0;
const STATUS_ERROR = 2;

const TRACER_NAME = '@fox/sdk';

/** What the bridge needs to know about the task a call belongs to. */
export interface TracedTask {
  readonly id: string;
  /** The strategy running calls now. */
  readonly current: string;
  /** The experiment injecting into the task, if any (its id tags injected calls). */
  readonly chaos: { readonly experimentId: string } | undefined;
  readonly location: { readonly file: string; readonly line: number } | undefined;
}

type Invoke = (call: Call) => unknown;

/** Wraps a task's pipeline so each call runs inside its own OpenTelemetry span. */
export class CallTracer {
  constructor(
    private readonly api: OpenTelemetryApi,
    private readonly tracer: OtelTracer,
  ) {}

  wrap(task: TracedTask, invoke: Invoke): Invoke {
    const { api, tracer } = this;
    const staticAttributes: Attributes = { 'fox.task.id': task.id };
    if (task.location) {
      staticAttributes['code.file.path'] = task.location.file;
      staticAttributes['code.line.number'] = task.location.line;
    }
    const finish = (span: OtelSpan, call: Call, error: unknown): void => {
      span.setAttribute('fox.attempts', call.attempt);
      if (call.hasRunId) span.setAttribute('fox.run_id', call.runId);
      const chaos = task.chaos;
      if (chaos && isInjected(call))
        span.setAttribute('fox.chaos.experiment_id', chaos.experimentId);
      if (error !== undefined) {
        span.setAttribute('error.type', errorCode(error));
        if (error instanceof Error) span.recordException(error);
        span.setStatus({
          code: STATUS_ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      span.end();
    };
    return (call) => {
      const parent = api.context.active();
      const span = tracer.startSpan(
        task.id,
        {
          kind: SPAN_KIND_INTERNAL,
          attributes: { ...staticAttributes, 'fox.mode': task.current },
        },
        parent,
      );
      let result: unknown;
      try {
        result = api.context.with(api.trace.setSpan(parent, span), invoke, undefined, call);
      } catch (err) {
        finish(span, call, err);
        throw err;
      }
      if (!isThenable(result)) {
        finish(span, call, undefined);
        return result;
      }
      return result.then(
        (value) => {
          finish(span, call, undefined);
          return value;
        },
        (err: unknown) => {
          finish(span, call, err);
          throw err;
        },
      );
    };
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The program's `@opentelemetry/api`, looked up from the working directory and the entry
 * script's directory (where the program's own dependencies resolve); undefined when absent.
 */
export function findOpenTelemetryApi(
  fromDirs: readonly string[] = defaultSearchDirs(),
): OpenTelemetryApi | undefined {
  for (const dir of fromDirs) {
    try {
      const api = createRequire(join(dir, 'noop.js'))('@opentelemetry/api') as unknown;
      if (looksLikeOpenTelemetryApi(api)) return api;
    } catch {
      // Not installed where this directory resolves: try the next one.
    }
  }
  return undefined;
}

function defaultSearchDirs(): string[] {
  const dirs = [process.cwd()];
  const entry = process.argv[1];
  if (entry) dirs.push(dirname(entry));
  return dirs;
}

/** Whether a module has the members of `@opentelemetry/api` the bridge uses. */
export function looksLikeOpenTelemetryApi(api: unknown): api is OpenTelemetryApi {
  const a = api as Partial<OpenTelemetryApi> | null;
  return (
    typeof a?.trace?.getTracerProvider === 'function' &&
    typeof a.trace.setSpan === 'function' &&
    typeof a.context?.with === 'function'
  );
}

/**
 * A tracer when the program has registered a tracer provider, else undefined. The API's global
 * provider is a proxy that answers with a no-op tracer until one is registered; asking the
 * proxy for its delegate's tracer tells the two apart without creating a span.
 */
export function registeredTracer(api: OpenTelemetryApi, version?: string): CallTracer | undefined {
  const provider = api.trace.getTracerProvider();
  const tracer =
    typeof provider.getDelegateTracer === 'function'
      ? provider.getDelegateTracer(TRACER_NAME, version)
      : provider.getTracer(TRACER_NAME, version);
  return tracer ? new CallTracer(api, tracer) : undefined;
}
