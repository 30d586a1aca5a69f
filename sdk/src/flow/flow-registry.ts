import { processSlot } from '../state/process-state.js';

/** What the registry needs of a built flow (any copy of the sdk's Flow class). */
export interface RegisteredFlow {
  readonly name: string;
  resume(runId: string, options?: object): Promise<unknown>;
}

/**
 * Flows built in this process, by name (the last one built under a name wins), so a resume —
 * `fox.flow(name).resume(runId)` or `fox flows resume` after loading the module — finds the
 * functions of a run recorded by an earlier process. Process-wide: see state/process-state.ts.
 */
const flows = processSlot('flow.registry.v1', () => new Map<string, RegisteredFlow>());

export function registerFlow(flow: RegisteredFlow): void {
  flows.set(flow.name, flow);
}

export function registeredFlow(name: string): RegisteredFlow | undefined {
  return flows.get(name);
}

/** Names of the flows built in this process. */
export function registeredFlowNames(): string[] {
  return [...flows.keys()];
}
