import { processSlot } from '../state/process-state.js';

/**
 * This process's chaos kill switch: one flag for the whole process, and the forges it stops.
 * The project-wide switch, across processes, is the kill file (kill-switch.ts). Both live in a
 * process slot, so the switch of either copy of the sdk (ESM and CJS builds in one process)
 * stops the forges of both.
 */

/** What the switch needs of a forge (a `ChaosForge`). */
export interface KillableForge {
  /** Aborts every running experiment of the forge. */
  killAll(reason: string): void;
}

const state = processSlot('chaos.kill.v1', () => ({
  /** Why the switch is on; undefined while it is off. */
  killed: undefined as string | undefined,
  forges: new Set<KillableForge>(),
}));

/** Puts a forge under the switch until {@link releaseForge} (its dispose). */
export function trackForge(forge: KillableForge): void {
  state.forges.add(forge);
}

export function releaseForge(forge: KillableForge): void {
  state.forges.delete(forge);
}

/**
 * Global kill switch: aborts every running experiment in the process and refuses new ones
 * until {@link resetChaosKillSwitch}. `FOX_CHAOS_KILL=1` in the environment has the same effect
 * at start. For every process of a project at once, see `fox chaos kill` (the kill file).
 */
export function killAllChaos(reason = 'kill switch'): void {
  state.killed = reason;
  for (const f of state.forges) f.killAll(reason);
}

export function resetChaosKillSwitch(): void {
  state.killed = undefined;
}

export function chaosKilled(): boolean {
  return state.killed !== undefined || process.env['FOX_CHAOS_KILL'] === '1';
}

/** Why this process's kill switch is on, if it is. */
export function processKillReason(): string | undefined {
  return state.killed ?? (process.env['FOX_CHAOS_KILL'] === '1' ? 'FOX_CHAOS_KILL=1' : undefined);
}
