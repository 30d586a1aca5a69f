/**
 * `@fox/sdk/telemetry`: the pieces of the sdk's telemetry that tools reuse — the latency
 * histogram whose layout the wire's aggregates carry (the profiler and the language server
 * merge and read them), and the exporter that sends a program's telemetry to a profiler
 * (programs get one from `fox.configure({ profiler })` or `FOX_PROFILER`; a tool's tests start
 * one themselves).
 *
 * ```ts
 * import { LatencyHistogram } from '@fox/sdk/telemetry';
 * const h = new LatencyHistogram();
 * ```
 */
export { LatencyHistogram } from './histogram.js';
export { startExporter, profilerUrlFromEnv } from './exporter.js';
export type {
  Exporter,
  ExporterCounters,
  ExporterHost,
  ExporterOptions,
  ExporterTaskInfo,
  SpanSink,
} from './exporter.js';
