import { performance } from 'node:perf_hooks';
import { fox, setProposalHandler, type Proposal } from '@fox/sdk';

/**
 * Fake wall and CPU clocks for auto's measuring: `performance.now()` and `process.cpuUsage()`
 * (what the tasks' metrics, the evidence windows and the loop-time samples read) move only when
 * a fake call spends time. A "50 ms call" then takes no real time and measures exactly 50 ms,
 * on a busy machine too.
 */
export interface FakeTime {
  /** Holds the loop `ms`: wall and CPU time both advance. */
  spend(ms: number): void;
  /** Restores the real clocks. */
  uninstall(): void;
}

export function installFakeTime(): FakeTime {
  let wallMs = 1_000;
  let cpuUs = 0;
  const realNow = performance.now;
  const realCpu = process.cpuUsage;
  performance.now = () => wallMs;
  process.cpuUsage = (prev?: NodeJS.CpuUsage): NodeJS.CpuUsage =>
    prev ? { user: cpuUs - prev.user, system: -prev.system } : { user: cpuUs, system: 0 };
  return {
    spend(ms) {
      wallMs += ms;
      cpuUs += ms * 1000;
    },
    uninstall() {
      performance.now = realNow;
      process.cpuUsage = realCpu;
    },
  };
}

let tasks = 0;

/**
 * A new auto task (its own history) whose calls hold the loop the given ms on the fake clock,
 * in one go, or after an `await` when `late`; with `thenWait`, they await once more after it.
 */
export function fakeTask(
  time: FakeTime,
): (ms: number, late?: boolean, thenWait?: boolean) => Promise<void> {
  return fox(
    { mode: 'auto', id: `fake-time#${++tasks}` },
    async function fake(ms: number, late = false, thenWait = false) {
      if (late) await null;
      time.spend(ms);
      if (thenWait) await null;
    },
  );
}

/** What the proposal handler saw. */
export interface Seen {
  proposals: Proposal[];
  /** Calls started (in all) when each proposal was made. */
  at: number[];
}

/**
 * Calls `next(i)` for i = 0, 1, … from `fanOut` callers in a closed loop (each calls again as
 * soon as its call returns) until auto proposes a switch or `max` calls have started. Proposals
 * are left pending: nothing is switched, and auto holds the change off meanwhile.
 */
export async function callUntilProposal(
  next: (i: number) => Promise<unknown>,
  max: number,
  fanOut = 1,
): Promise<Seen> {
  const seen: Seen = { proposals: [], at: [] };
  let started = 0;
  const hook = setProposalHandler((p) => {
    seen.proposals.push(p);
    seen.at.push(started);
    return 'pending';
  });
  try {
    const caller = async (): Promise<void> => {
      while (seen.proposals.length === 0 && started < max) await next(started++);
    };
    await Promise.all(Array.from({ length: fanOut }, caller));
  } finally {
    hook.dispose();
  }
  return seen;
}
