import type { TaskView, UiState } from '../live/view.js';

/**
 * The compact live table `fox profile` prints: on a TTY it redraws in place with bars; when
 * piped it prints a plain summary line per task every few seconds (no escape codes).
 */
export class TerminalView {
  private lines = 0;
  private lastPlain = 0;

  constructor(
    private readonly out: NodeJS.WriteStream | NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly plainEveryMs = 5000,
  ) {}

  update(state: UiState): void {
    const tasks = [...state.tasks].sort((a, b) => b.callsPerSec - a.callsPerSec).slice(0, 15);
    if (this.tty) this.redraw(tasks, state);
    else this.plain(tasks, state);
  }

  /** Leaves the last table on screen and moves below it. */
  finish(): void {
    this.lines = 0;
  }

  private redraw(tasks: TaskView[], state: UiState): void {
    const width = Math.max(60, Math.min(140, (this.out as NodeJS.WriteStream).columns ?? 100));
    const max = Math.max(1, ...tasks.map((t) => t.callsPerSec));
    const nameW = Math.max(12, Math.min(40, width - 70));
    const rows = [
      `${'task'.padEnd(nameW)} ${'mode'.padEnd(5)} ${'calls/s'.padStart(8)} ${''.padEnd(20)} ${'p99'.padStart(8)} ${'err'.padStart(6)} ${'infl'.padStart(5)}`,
      ...tasks.map((t) => {
        const bar = '█'.repeat(Math.round((t.callsPerSec / max) * 20)).padEnd(20, '·');
        return `${clip(t.id, nameW).padEnd(nameW)} ${t.current.padEnd(5)} ${t.callsPerSec.toFixed(0).padStart(8)} ${bar} ${ms(t.p99).padStart(8)} ${String(t.errors).padStart(6)} ${String(t.inFlight).padStart(5)}`;
      }),
      `${state.processes.filter((p) => p.connected).length} process(es) · ${state.collector.framesAccepted} frames · ${state.collector.framesRejected} rejected`,
    ];
    let text = this.lines > 0 ? `\x1b[${this.lines}A\x1b[J` : '';
    text += rows.map((r) => r.slice(0, width)).join('\n') + '\n';
    this.lines = rows.length;
    this.out.write(text);
  }

  private plain(tasks: TaskView[], _state: UiState): void {
    const now = Date.now();
    if (now - this.lastPlain < this.plainEveryMs || tasks.length === 0) return;
    this.lastPlain = now;
    for (const t of tasks) {
      this.out.write(
        `[fox] ${t.id} ${t.current} ${t.callsPerSec.toFixed(0)} calls/s p99 ${ms(t.p99)} errors ${t.errors}/${t.calls}\n`,
      );
    }
  }
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `…${s.slice(s.length - n + 1)}`;
}

function ms(v: number): string {
  return v < 10 ? `${v.toFixed(2)}ms` : `${v.toFixed(0)}ms`;
}
