import type { Disposable, FoxEvent } from '../events/emitter.js';
import type { ApprovalDecision } from '../protocol/wire.js';
import type { Guardian } from './guardian.js';

/**
 * Feeds approval decisions relayed by the profiler (`exporter.onApproval`) to the guardian. The
 * profiler has already checked its token; the guardian applies its own rules, and a refused
 * decision (unknown proposal, wrong hash, not an approver, expired) goes to `onRefused`.
 */
export function connectApprovals(
  source: FoxEvent<ApprovalDecision>,
  guardian: Guardian,
  onRefused: (decision: ApprovalDecision, error: Error) => void = () => undefined,
): Disposable {
  return source((d) => {
    const vote = {
      approver: d.approver,
      payloadHash: d.payloadHash,
      ...(d.comment === undefined ? {} : { comment: d.comment }),
    };
    const done =
      d.verdict === 'approve'
        ? guardian.approve(d.proposalId, vote)
        : Promise.resolve().then(() => guardian.reject(d.proposalId, vote));
    done.catch((err: Error) => onRefused(d, err));
  });
}
