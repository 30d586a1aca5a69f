/** What the status bar shows. Pure so it is tested without VS Code. */
export interface StatusInput {
  running: boolean;
  connected: number;
  pending: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Warn when something waits for the user. */
  attention: boolean;
}

export function statusView({ running, connected, pending }: StatusInput): StatusView {
  if (!running) {
    return {
      text: '$(circle-outline) Fox',
      tooltip:
        'Fox profiler not running — it starts with a Node debug session, ' +
        '"Fox: Run with Profiler…", a task of type "fox", or "Fox: Start Profiler"',
      attention: pending > 0,
    };
  }
  const parts = [`$(pulse) Fox ${connected}`];
  if (pending > 0) parts.push(`$(bell-dot) ${pending}`);
  const procs = `${connected} connected process${connected === 1 ? '' : 'es'}`;
  const approvals = `${pending} pending approval${pending === 1 ? '' : 's'}`;
  return {
    text: parts.join(' '),
    tooltip: `Fox profiler: ${procs}, ${approvals}. Click to open the profiler panel.`,
    attention: pending > 0,
  };
}
