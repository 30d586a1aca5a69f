import { findOpenTelemetryApi } from '../../telemetry/open-telemetry.js';

/**
 * OpenTelemetry context across a dfox job, as a W3C `traceparent`: the caller sends the span
 * active at the call (fox's own span for it when the bridge is on, else the program's), the
 * worker runs the function inside that context, so the spans made there (its fox calls, the
 * program's own) join the caller's trace. Built from the span context directly, so no
 * propagator needs to be registered. Nothing happens without `@opentelemetry/api` installed.
 */

interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
}

/** The members of `@opentelemetry/api` used here (typed structurally, as the bridge does). */
interface ContextApi {
  trace: {
    getSpanContext(context: object): SpanContext | undefined;
    setSpanContext(context: object, spanContext: SpanContext): object;
  };
  context: {
    active(): object;
    with<R>(context: object, fn: () => R): R;
  };
}

let api: ContextApi | null | undefined;

function contextApi(): ContextApi | undefined {
  if (api === undefined) {
    const found = findOpenTelemetryApi() as unknown as Partial<ContextApi> | undefined;
    api =
      typeof found?.trace?.getSpanContext === 'function' &&
      typeof found.trace.setSpanContext === 'function'
        ? (found as ContextApi)
        : null;
  }
  return api ?? undefined;
}

const INVALID_TRACE = /^0+$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The active span's context as a `traceparent`, or undefined when there is none. */
export function activeTraceparent(): string | undefined {
  const otel = contextApi();
  if (!otel) return undefined;
  const sc = otel.trace.getSpanContext(otel.context.active());
  if (!sc || INVALID_TRACE.test(sc.traceId) || INVALID_TRACE.test(sc.spanId)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Runs `fn` with the caller's span (from a `traceparent`) as the active, remote parent. */
export function withRemoteParent<R>(traceparent: string | undefined, fn: () => R): R {
  if (traceparent === undefined) return fn();
  const otel = contextApi();
  const m = TRACEPARENT.exec(traceparent);
  if (!otel || !m) return fn();
  const parent = otel.trace.setSpanContext(otel.context.active(), {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16),
    isRemote: true,
  });
  return otel.context.with(parent, fn);
}
