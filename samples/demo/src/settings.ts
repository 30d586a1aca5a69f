import { userInfo } from 'node:os';
import { resolve } from 'node:path';

/**
 * The demo's schedule and identity, from the environment so a test can shorten it:
 * - `FOX_DEMO_SPEED`    time compression (default 1; 4 runs every phase four times faster)
 * - `FOX_DEMO_DURATION` stop after this long (`90s`, `2m`, `5000ms`; default: until Ctrl-C)
 * - `FOX_DEMO_STORE`    the store (default `.fox/fox.db` under the working directory)
 * - `FOX_DEMO_CHAOS`    `off` skips the bundled chaos experiment
 * - `FOX_APPROVER`      who approves auto's proposal (default: the user running the demo)
 */
export interface DemoSettings {
  speed: number;
  durationMs: number | undefined;
  storePath: string;
  chaos: boolean;
  approver: string;
  /** One run of the order-processing flow this often. */
  flowEveryMs: number;
  /** One cycle of the partner API's schedule (healthy → degraded → outage → healthy). */
  partnerCycleMs: number;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): DemoSettings {
  const speed = env.FOX_DEMO_SPEED ? Number(env.FOX_DEMO_SPEED) : 1;
  if (!Number.isFinite(speed) || speed <= 0 || speed > 100) {
    throw new Error(
      `fox demo: FOX_DEMO_SPEED must be a number in (0, 100], got '${env.FOX_DEMO_SPEED}'`,
    );
  }
  return {
    speed,
    durationMs: env.FOX_DEMO_DURATION ? parseDuration(env.FOX_DEMO_DURATION) : undefined,
    storePath: resolve(env.FOX_DEMO_STORE || '.fox/fox.db'),
    chaos: env.FOX_DEMO_CHAOS !== 'off',
    approver: env.FOX_APPROVER || safeUserName(),
    flowEveryMs: 5_000 / speed,
    partnerCycleMs: 40_000 / speed,
  };
}

/** `10s`, `500ms`, `2m` or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`fox demo: bad duration '${text}' (try 10s, 500ms, 2m)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

function safeUserName(): string {
  try {
    return userInfo().username || 'demo-user';
  } catch {
    // No passwd entry (some containers): still one named approver.
    return 'demo-user';
  }
}

/** The settings of this run, read once at start-up. */
export const settings = readSettings();
