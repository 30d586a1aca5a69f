/**
 * This process's chaos kill switch: one flag for the whole process, and the forges it stops.
 * The project-wide switch, across processes, is the kill file (kill-switch.ts).
 */

/** What the switch needs of a forge (a `ChaosForge`). */
export interface KillableForge {
  /** Aborts every running experiment of the forge. */
  killAll(reason: string): void;
}

let killed: string | undefined;
const liveForges = new Set<KillableForge>();

/** Puts a forge under the switch until {@link releaseForge} (its dispose). */
export function trackForge(forge: KillableForge): void {
  liveForges.add(forge);
}

export function releaseForge(forge: KillableForge): void {
  liveForges.delete(forge);
}

/**
 * Global kill switch: aborts every running experiment in the process and refuses new ones
 * until {@link resetChaosKillSwitch}. `FOX_CHAOS_KILL=1` in the environment has the same effect
 * at start. For every process of a project at once, see `fox chaos kill` (the kill file).
 */
export function killAllChaos(reason = 'kill switch'): void {
  killed = reason;
  for (const f of liveForges) f.killAll(reason);
}

export function resetChaosKillSwitch(): void {
  killed = undefined;
}

export function chaosKilled(): boolean {
  return killed !== undefined || process.env['FOX_CHAOS_KILL'] === '1';
}

/** Why this process's kill switch is on, if it is. */
export function processKillReason(): string | undefined {
  return killed ?? (process.env['FOX_CHAOS_KILL'] === '1' ? 'FOX_CHAOS_KILL=1' : undefined);
}
