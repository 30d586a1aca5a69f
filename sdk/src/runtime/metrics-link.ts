import type { Clock } from '../clock/clock.js';
import { MetricsCollector, type MetricsSource } from '../telemetry/metrics/metrics-collector.js';
import type { MetricsServerOptions } from '../telemetry/metrics/metrics-options.js';
import {
  OtelMetricsBridge,
  looksLikeOpenTelemetryMetricsApi,
  registeredMeter,
  type OpenTelemetryMetricsApi,
} from '../telemetry/metrics/otel-metrics.js';
import { PrometheusServer, type MetricsEndpoint } from '../telemetry/metrics/prometheus-server.js';
import { findOpenTelemetryApi } from '../telemetry/open-telemetry.js';
import type { TracingSetting } from './tracing.js';

/** How long to wait between looks for a meter provider registered after the tasks. */
const POLL_MS = 1000;

/**
 * Connects the runtime's metrics to their exports: OpenTelemetry instruments once the program
 * registers a MeterProvider (found the way the tracing link finds a tracer provider, under the
 * same `openTelemetry` setting), and the Prometheus endpoint of `fox.configure({ metrics })`.
 * Both read the same collector when they are read; neither adds work to a call.
 */
export class MetricsLink {
  private readonly collector: MetricsCollector;
  private bridge: OtelMetricsBridge | undefined;
  private api: OpenTelemetryMetricsApi | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private started = false;
  private server: PrometheusServer | undefined;

  constructor(
    source: MetricsSource,
    private readonly clock: Clock,
  ) {
    this.collector = new MetricsCollector(source);
  }

  /** Applies the `openTelemetry` setting (undefined: the default, on). */
  configureOpenTelemetry(setting: TracingSetting | undefined): void {
    this.stopOpenTelemetry();
    this.started = true;
    if (setting === false) return;
    const api: unknown = typeof setting === 'object' ? setting.api : findOpenTelemetryApi();
    if (!looksLikeOpenTelemetryMetricsApi(api)) return;
    this.api = api;
    if (this.check()) return;
    this.timer = setInterval(() => this.check() && this.stopPolling(), POLL_MS);
    this.timer.unref();
  }

  /** A task was registered: start the default lookup once, then look again while none found. */
  attach(): void {
    if (!this.started) this.configureOpenTelemetry(undefined);
    else if (!this.bridge && this.api) this.check();
  }

  /** Starts (or, with false, stops) the Prometheus endpoint; a listen error is a warning. */
  serve(options: MetricsServerOptions | false): void {
    void this.server?.close();
    this.server = undefined;
    if (options === false) return;
    const server = new PrometheusServer(options, this.collector);
    this.server = server;
    this.collector.start();
    server.ready.catch((err: unknown) => {
      if (this.server === server) this.server = undefined;
      process.emitWarning(
        `fox metrics endpoint could not listen on ${options.host}:${options.port}: ${String(err)}`,
        'FoxMetricsWarning',
      );
    });
  }

  /** Where the Prometheus endpoint listens, once it does; undefined when none is configured. */
  get endpoint(): Promise<MetricsEndpoint> | undefined {
    return this.server?.ready;
  }

  private check(): boolean {
    const meter = this.api && registeredMeter(this.api);
    if (meter) {
      this.bridge = new OtelMetricsBridge(meter, this.collector, this.clock);
      this.collector.start();
    }
    return meter !== undefined;
  }

  private stopOpenTelemetry(): void {
    this.stopPolling();
    this.api = undefined;
    this.bridge?.close();
    this.bridge = undefined;
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops both exports and the collector's gauges (shutdown). */
  async close(): Promise<void> {
    this.stopOpenTelemetry();
    const server = this.server;
    this.server = undefined;
    await server?.close();
    this.collector.close();
  }

  /** After {@link close}: lets the next registration look for a provider again (tests). */
  reset(): void {
    this.stopOpenTelemetry();
    this.started = false;
  }
}
