export { ProjectCallGraph } from './graph.js';
export type { CallGraphHost, CalleeWork, StateThroughCall } from './graph.js';
export { MAX_CALL_DEPTH } from './propagation.js';
export { summarizeFile } from './summary.js';
export type { CallSite, FileSummary, UnitSummary } from './summary.js';
export type { StateAccess } from './module-state.js';
