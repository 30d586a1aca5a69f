import { existsSync } from 'node:fs';
import { payloadHash } from '../guardian/canonical-json.js';
import { isGuardianError } from '../guardian/errors.js';
import { Guardian } from '../guardian/guardian.js';
import { GUARDIAN_TABLES } from '../guardian/guardian-schema.js';
import { openAuditLog } from '../guardian/paths.js';
import type { Proposal, ProposalState } from '../guardian/proposal.js';
import { openStore } from '../store/store.js';
import {
  type CommandSpec,
  type Io,
  processIo,
  readSubcommand,
  storePathOf,
  UsageError,
} from './args.js';

const USAGE = `usage: fox approvals <command> [--store PATH]
  list [--state pending|approved|denied|expired|applied|failed|dry-run|all] [--json]
  show ID [--json]
  approve ID --as NAME [--hash SHA256] [--comment TEXT]
  reject ID --as NAME [--hash SHA256] [--comment TEXT]
NAME defaults to $FOX_APPROVER. Without --hash, the vote is bound to the hash of the payload
that show prints.`;

const FLAGS = {
  store: { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
  as: { type: 'string' },
  hash: { type: 'string' },
  comment: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What each command takes besides `--store`; anything else would be silently ignored. */
const COMMANDS: Record<string, CommandSpec> = {
  list: { flags: ['state', 'json'], words: 1 },
  show: { flags: ['json'], words: 2 },
  approve: { flags: ['as', 'hash', 'comment'], words: 2 },
  reject: { flags: ['as', 'hash', 'comment'], words: 2 },
};

const TOOL = {
  name: 'approvals',
  usage: USAGE,
  flags: FLAGS,
  commands: COMMANDS,
  common: ['store'],
};

const STATES = ['pending', 'approved', 'denied', 'expired', 'applied', 'failed', 'dry-run'];

/** `fox approvals …` on the project's store. Returns the exit code (0 ok, 1 refused, 2 usage). */
export async function approvalsMain(argv: readonly string[], io: Io = processIo): Promise<number> {
  const args = readSubcommand(TOOL, argv, io);
  if (typeof args === 'number') return args;
  const { command } = args;
  const [, id] = args.positionals;
  const storePath = storePathOf(args.values.store);
  if (!existsSync(storePath)) {
    io.err(`fox approvals: no store at ${storePath} (use --store PATH)`);
    return 2;
  }
  const store = openStore({ path: storePath });
  const db = store.use(GUARDIAN_TABLES);
  const audit = openAuditLog(db, storePath);
  const guardian = new Guardian({ db, audit });
  const json = args.values.json === true;
  try {
    await guardian.sync();
    switch (command) {
      case 'list': {
        const state = args.values.state ?? 'pending';
        if (state !== 'all' && !STATES.includes(state))
          throw new UsageError(`unknown state ${state}`);
        const list = guardian.list(
          state === 'all' ? { limit: 1000 } : { state: state as ProposalState, limit: 1000 },
        );
        if (json) io.out(JSON.stringify(list, null, 2));
        else if (list.length === 0) io.out(`no ${state === 'all' ? '' : state + ' '}proposals`);
        else for (const p of list) io.out(summaryLine(p));
        return 0;
      }
      case 'show': {
        const p = requireProposal(guardian, id);
        io.out(json ? JSON.stringify(p, null, 2) : describe(p));
        return 0;
      }
      case 'approve':
      case 'reject': {
        const p = requireProposal(guardian, id);
        const who = args.values.as ?? process.env['FOX_APPROVER'];
        if (!who) throw new UsageError(`${command} needs --as NAME (or FOX_APPROVER)`);
        const comment = args.values.comment;
        const hash = args.values.hash ?? payloadHash(p.payload);
        const vote = { approver: who, payloadHash: hash, ...(comment ? { comment } : {}) };
        const after =
          command === 'approve' ? await guardian.approve(p.id, vote) : guardian.reject(p.id, vote);
        io.out(`${after.id}: ${after.state}${after.reason ? ` (${after.reason})` : ''}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`fox approvals: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (isGuardianError(err)) {
      io.err(`fox approvals: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    guardian.close();
    audit.close();
    store.close();
  }
}

function requireProposal(g: Guardian, id: string | undefined): Proposal {
  if (!id) throw new UsageError('missing proposal ID');
  const p = g.get(id);
  if (!p) throw new UsageError(`no proposal ${id}`);
  return p;
}

function summaryLine(p: Proposal): string {
  const approvals = p.votes.filter((v) => v.verdict === 'approve').length;
  return [
    p.id,
    p.state.padEnd(8),
    p.kind.padEnd(16),
    (p.taskId ?? '-').padEnd(30),
    `${p.impact}`.padEnd(6),
    `${approvals}/${p.required}`,
    `by ${p.proposer}`,
  ].join('  ');
}

function describe(p: Proposal): string {
  const lines = [
    `proposal  ${p.id}`,
    `kind      ${p.kind}`,
    `task      ${p.taskId ?? '-'}`,
    `state     ${p.state}${p.reason ? ` (${p.reason})` : ''}`,
    `impact    ${p.impact}`,
    `proposer  ${p.proposer}`,
    `created   ${new Date(p.createdAt).toISOString()}`,
    `expires   ${new Date(p.expiresAt).toISOString()}`,
    `needs     ${p.required} of ${p.approvers.join(', ') || '(no approvers)'}`,
    `payload   ${JSON.stringify(p.payload)}`,
    `sha256    ${p.payloadHash}`,
  ];
  if (p.evidence !== null) lines.push(`evidence  ${JSON.stringify(p.evidence)}`);
  for (const v of p.votes) {
    lines.push(
      `vote      ${v.verdict} by ${v.approver} at ${new Date(v.at).toISOString()}${v.comment ? `: ${v.comment}` : ''}`,
    );
  }
  return lines.join('\n');
}
