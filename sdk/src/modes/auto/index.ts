export {
  AutoController,
  autoControllerOf,
  registerAutoController,
  type AutoPhase,
} from './auto-controller.js';
export { autoSources, systemLoopCounters, type AutoSources } from './auto-sources.js';
export type { AutoTask, AutoTaskCounters } from './auto-task.js';
export type {
  AutoAction,
  AutoInput,
  AutoState,
  Instant,
  Kept,
  Learned,
  Transition,
} from './auto-state.js';
export { initialState, isSettled, step } from './auto-step.js';
export {
  DEFAULT_THRESHOLDS,
  targetMode,
  type AutoThresholds,
  type DecisionContext,
  type DecisionEvidence,
  type PromotionCause,
} from './decision-rule.js';
export type { CallTiming, WindowEvidence } from './evidence-window.js';
export { LoopSample, loopTrackingActive } from './loop-time.js';
export {
  applyProposal,
  onProposal,
  proposalHistory,
  propose,
  setProposalHandler,
  type AutoEvidence,
  type Proposal,
  type ProposalDecision,
  type ProposalHandler,
  type ProposalRecord,
  type StrategyChangeProposal,
} from './proposals.js';
export { clearStaticHints, staticHint } from './static-hints.js';
