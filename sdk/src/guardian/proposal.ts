import { z } from 'zod';
import { ImpactSchema, type Impact } from './policy.js';

/** Kinds the guardian knows how to apply; any other string is a custom kind. */
export type KnownProposalKind =
  'strategy-change' | 'policy-change' | 'limiter-change' | 'chaos-experiment';

export type ProposalState =
  'pending' | 'approved' | 'denied' | 'expired' | 'applied' | 'failed' | 'dry-run';

const Json: z.ZodType<unknown> = z.json();

/** What a proposer hands to {@link Guardian.propose}. */
export const ProposalInputSchema = z
  .object({
    kind: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z][a-z0-9-]*$/, 'kebab-case'),
    taskId: z.string().min(1).max(512).nullable().default(null),
    /** The exact change; approvals are bound to the SHA-256 of its canonical JSON. */
    payload: Json,
    impact: ImpactSchema,
    /** Who proposes: `auto`, `tuner`, `chaos`, or a person. Cannot approve their own proposal. */
    proposer: z.string().min(1).max(128),
    evidence: Json.optional(),
    /** Overrides the policy's ttl. */
    ttlMs: z
      .number()
      .int()
      .positive()
      .max(30 * 24 * 3_600_000)
      .optional(),
  })
  .strict();
export type ProposalInput = z.input<typeof ProposalInputSchema>;

/** Payload shapes of the kinds the guardian applies itself. */
export const StrategyChangePayloadSchema = z
  .object({
    from: z.enum(['sfox', 'wfox', 'tfox', 'mfox']).optional(),
    to: z.enum(['sfox', 'wfox', 'tfox', 'mfox']),
  })
  .strict();
export const PolicyChangePayloadSchema = z
  .object({
    policy: z.enum([
      'fallback',
      'cache',
      'rateLimit',
      'retry',
      'breaker',
      'bulkhead',
      'hedge',
      'timeout',
    ]),
    config: Json,
  })
  .strict();
export const LimiterChangePayloadSchema = z.object({ config: z.record(z.string(), Json) }).strict();

export interface Vote {
  approver: string;
  verdict: 'approve' | 'reject';
  payloadHash: string;
  at: number;
  comment: string | null;
}

/** A proposal as stored, with its votes. */
export interface Proposal {
  id: string;
  kind: string;
  taskId: string | null;
  payload: unknown;
  payloadHash: string;
  impact: Impact;
  proposer: string;
  evidence: unknown;
  createdAt: number;
  expiresAt: number;
  state: ProposalState;
  /** Approvals needed (N). */
  required: number;
  /** Who may approve (M), fixed when the proposal was made. */
  approvers: string[];
  /** The process that applies it once approved (null: nobody in particular). */
  owner: string | null;
  /** Why it is in its state (policy rule, error message). */
  reason: string | null;
  updatedAt: number;
  votes: Vote[];
}
