import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fox } from '@fox/sdk';
import type { DemoSettings } from './settings.js';

/** The chaos experiment the demo bundles (its phases are shortened by FOX_DEMO_SPEED). */
export const EXPERIMENT_FILE = fileURLToPath(
  new URL('../experiments/inventory-brownout.json', import.meta.url),
);

/**
 * Opens the store and starts the guardian: auto's strategy switches and chaos experiments wait
 * for one named approver (the user running the demo); anything else is approved by policy.
 * With chaos on, the bundled experiment is handed to the runtime the way `fox chaos run` does
 * (`FOX_CHAOS`): it is proposed at start-up, and its Approve button in the profiler page (or
 * `fox approvals approve`) starts it; it is audited and reports like any other. The tuner
 * experiments on the tasks that ask for it (`tune` on the partner API): its canaries run on a
 * share of calls, and what wins is adopted by policy (a low-impact policy change) and audited.
 */
export function configureFox(s: DemoSettings): void {
  if (s.chaos && !process.env.FOX_CHAOS) process.env.FOX_CHAOS = scaledExperiment(s.speed);
  fox.configure({
    store: s.storePath,
    lanes: { catalog: { limit: 4 } },
    guardian: {
      approvers: [s.approver],
      required: 1,
      rules: [
        { kind: 'strategy-change', decide: 'people', required: 1 },
        { kind: 'chaos-experiment', decide: 'people', required: 1 },
      ],
      default: 'approve',
    },
    // Short cycles so an experiment runs within the first minute (the defaults wait a minute
    // between experiments and record 500 calls first).
    tune: {
      allTasks: false,
      canary: 0.2,
      recordCalls: 100,
      minPerArm: 40,
      cooldownMs: Math.round(10_000 / s.speed),
      seed: 1,
    },
  });
}

/** The bundled experiment as JSON with its phases divided by `speed`. */
export function scaledExperiment(speed: number): string {
  const e = JSON.parse(readFileSync(EXPERIMENT_FILE, 'utf8')) as Record<string, unknown>;
  for (const k of ['baselineMs', 'durationMs', 'recoveryMs']) {
    e[k] = Math.max(100, Math.round((e[k] as number) / speed));
  }
  return JSON.stringify(e);
}

/** Where the catalog pages live: next to the store. */
export function catalogDir(s: DemoSettings): string {
  return join(dirname(s.storePath), 'demo-catalog');
}
