import { z } from 'zod';
import { taskGlob } from '../task/task-glob.js';

export const ImpactSchema = z.enum(['low', 'medium', 'high']);
export type Impact = z.infer<typeof ImpactSchema>;

const Verdict = z.enum(['approve', 'deny', 'people']);
const Approver = z.string().min(1).max(128);

/** One rule; the first that matches a proposal decides it. Omitted fields match anything. */
export const GuardianRuleSchema = z
  .object({
    kind: z.string().min(1).max(64).optional(),
    impact: ImpactSchema.optional(),
    /** Task id or glob (see task/task-glob.ts). */
    task: z.string().min(1).max(512).optional(),
    decide: Verdict,
    /** For `people`: approvals needed (default: the policy's `required`). */
    required: z.number().int().min(1).max(100).optional(),
  })
  .strict();

/**
 * How the guardian decides proposals. The default auto-approves low-impact changes and sends
 * the rest to people; with no approvers configured, "people" means nobody can approve, so such
 * proposals are denied with that reason rather than left pending forever.
 *
 * @example
 * { approvers: ['alice', 'bob', 'carol'], required: 2,
 *   rules: [{ kind: 'chaos-experiment', decide: 'people', required: 1 },
 *           { impact: 'low', decide: 'approve' }] }
 */
export const GuardianPolicySchema = z
  .object({
    /** Log what would be decided; apply nothing. */
    dryRun: z.boolean().default(false),
    /** Named identities allowed to approve (M). */
    approvers: z.array(Approver).max(100).default([]),
    /** Approvals needed (N) when a rule sends a proposal to people. */
    required: z.number().int().min(1).max(100).default(1),
    /** How long a proposal waits for people before it expires. */
    ttlMs: z
      .number()
      .int()
      .min(1_000)
      .max(30 * 24 * 3_600_000)
      .default(3_600_000),
    rules: z
      .array(GuardianRuleSchema)
      .max(100)
      .default([{ impact: 'low', decide: 'approve' }]),
    /** When no rule matches. */
    default: Verdict.default('people'),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (new Set(p.approvers).size !== p.approvers.length) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'approvers must be unique' });
    }
    if (p.approvers.length === 0) return;
    const needs = [p.required, ...p.rules.map((r) => r.required ?? 0)];
    for (const n of needs) {
      if (n > p.approvers.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['required'],
          message: `needs ${n} approvals but only ${p.approvers.length} approvers are named`,
        });
        return;
      }
    }
  });

export type GuardianPolicyInput = z.input<typeof GuardianPolicySchema>;
export type GuardianPolicy = z.output<typeof GuardianPolicySchema>;

export interface PolicyDecision {
  verdict: 'approve' | 'deny' | 'people';
  /** Approvals needed when `people`. */
  required: number;
  reason: string;
}

/** Pure: which way the policy decides a proposal of this kind, impact and task. */
export function decide(
  policy: GuardianPolicy,
  p: { kind: string; impact: Impact; taskId: string | null },
): PolicyDecision {
  const index = policy.rules.findIndex(
    (r) =>
      (r.kind === undefined || r.kind === p.kind) &&
      (r.impact === undefined || r.impact === p.impact) &&
      (r.task === undefined || (p.taskId !== null && taskGlob(r.task)(p.taskId))),
  );
  const rule = index >= 0 ? policy.rules[index] : undefined;
  const verdict = rule?.decide ?? policy.default;
  const required = rule?.required ?? policy.required;
  const why = rule ? `rule ${index + 1}` : 'default';
  if (verdict === 'people' && policy.approvers.length === 0) {
    return { verdict: 'deny', required, reason: `${why}: needs approvers but none are configured` };
  }
  return { verdict, required, reason: `${why}: ${verdict}` };
}
