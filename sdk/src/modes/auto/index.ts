export {
  AutoController,
  DEFAULT_THRESHOLDS,
  autoControllerOf,
  registerAutoController,
  type AutoThresholds,
} from './auto-controller.js';
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
