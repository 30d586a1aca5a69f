import type { Profiler, ProfilerOptions, UiState } from '@fox/profiler';

export type StartProfiler = (options: ProfilerOptions) => Promise<Profiler>;

/**
 * Owns the extension's profiler: started on demand (the first Node debug launch, "Run with
 * profiler", or opening the panel), never at activation, so editing without debugging opens no
 * port. While it runs, `tick` listeners get its live state every `intervalMs`.
 */
export class ProfilerHost {
  private starting: Promise<Profiler> | undefined;
  private current: Profiler | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly listeners = new Set<(state: UiState | undefined) => void>();

  constructor(
    private readonly start: StartProfiler,
    private readonly options: () => ProfilerOptions,
    private readonly intervalMs = 1000,
  ) {}

  /** The running profiler, starting it if needed. A failed start can be retried. */
  ensure(): Promise<Profiler> {
    this.starting ??= this.start(this.options()).then(
      (p) => {
        this.current = p;
        this.timer = setInterval(() => this.emit(), this.intervalMs);
        this.timer.unref?.();
        this.emit();
        return p;
      },
      (err: unknown) => {
        this.starting = undefined;
        throw err;
      },
    );
    return this.starting;
  }

  get profiler(): Profiler | undefined {
    return this.current;
  }

  /** Subscribes to state pushes (`undefined` once stopped); returns the unsubscribe. */
  onTick(listener: (state: UiState | undefined) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Pushes the current state now (e.g. when a panel becomes visible). */
  emit(): void {
    const state = this.current?.state();
    for (const l of this.listeners) {
      try {
        l(state);
      } catch {
        // one broken view must not stop the others
      }
    }
  }

  async stop(): Promise<void> {
    const running = this.starting;
    this.starting = undefined;
    this.current = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const p = await running?.catch(() => undefined);
    await p?.close();
    this.emit();
  }
}
