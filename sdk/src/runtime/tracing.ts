import type { Task } from '../task/task.js';
import {
  findOpenTelemetryApi,
  registeredTracer,
  type CallTracer,
  type OpenTelemetryApi,
} from '../telemetry/open-telemetry.js';

/** How long to wait between looks for a tracer provider registered after the tasks. */
const POLL_MS = 1000;

/** `fox.configure({ openTelemetry })`: on (default), off, or an explicit API module. */
export type TracingSetting = boolean | { api: OpenTelemetryApi };

/**
 * Connects the runtime's tasks to OpenTelemetry once the program registers a tracer provider.
 * Programs often register it after their modules (and so their fox tasks) have loaded, so
 * while the API is installed but no provider is registered, it looks again every second on an
 * unref'd timer. Without the API installed nothing runs at all.
 */
export class TracingLink {
  private tracer: CallTracer | undefined;
  private api: OpenTelemetryApi | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private started = false;

  constructor(private readonly tasks: () => readonly Task[]) {}

  /** Applies a setting; `undefined` means the default (on). Looks for a provider at once. */
  configure(setting: TracingSetting | undefined): void {
    this.stop();
    this.started = true;
    if (setting === false) return;
    this.api = typeof setting === 'object' ? setting.api : findOpenTelemetryApi();
    if (!this.api || this.check()) return;
    this.timer = setInterval(() => this.check() && this.stopPolling(), POLL_MS);
    this.timer.unref();
  }

  /**
   * Called for each registered task; the first registration starts the default lookup, later
   * ones look again (cheap, and registrations are rare) while no provider has been found.
   */
  attach(task: Task): void {
    if (!this.started) this.configure(undefined);
    else if (!this.tracer && this.api) this.check();
    task.setTracer(this.tracer);
  }

  /** The bridge while a tracer provider is registered (flows wrap their runs with it too). */
  get current(): CallTracer | undefined {
    return this.tracer;
  }

  /** Stops tracing new calls and looking for a provider. */
  stop(): void {
    this.stopPolling();
    this.api = undefined;
    this.setTracer(undefined);
  }

  /** Forgets everything (tests): the next registration looks again. */
  reset(): void {
    this.stop();
    this.started = false;
  }

  private check(): boolean {
    const tracer = this.api && registeredTracer(this.api);
    if (tracer) this.setTracer(tracer);
    return tracer !== undefined;
  }

  private setTracer(tracer: CallTracer | undefined): void {
    if (tracer === this.tracer) return;
    this.tracer = tracer;
    for (const task of this.tasks()) task.setTracer(tracer);
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
