// A long-running program for the profiler and the guardian: run it under the debugger (the
// extension sets FOX_PROFILER) or with "Fox: Run with Profiler". `@fox/sdk` resolves through
// node_modules like in any project (the e2e test links it to the repo's built sdk).
//
// It keeps telemetry in `.fox/fox.db` (the editor's code lens reads it) and lets the guardian
// decide runtime changes: a strategy change needs one approval by a named person. Approve the
// proposal in the editor's Fox view (with `fox.approvals.approver` set to that name); the
// guardian checks the approver and the payload hash, then applies the change in this process.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fox, onProposal } from '@fox/sdk';
import { crunch } from './crunch.mjs';

const APPROVER = process.env.FOX_SAMPLE_APPROVER ?? 'reviewer@example.com';
const foxDir = fileURLToPath(new URL('../.fox/', import.meta.url));
mkdirSync(foxDir, { recursive: true });

fox.configure({
  store: `${foxDir}fox.db`,
  flushIntervalMs: 1000,
  guardian: {
    approvers: [APPROVER],
    required: 1,
    rules: [{ kind: 'strategy-change', decide: 'people', required: 1 }],
    default: 'deny',
  },
});

const task = fox.task(crunch);
/** What this process reports about itself, for people and for the e2e test. */
const status = { pid: process.pid, task: task?.id, mode: '', approver: APPROVER, events: [] };
const report = (line) => {
  console.log(line);
  status.events.push({ at: Date.now(), line });
  writeFileSync(`${foxDir}sample-status.json`, JSON.stringify(status, null, 2));
};

onProposal(({ proposal, decision }) =>
  report(`auto proposed ${proposal.from} → ${proposal.to} for ${proposal.taskId}: ${decision}`),
);

const seconds = Number(process.env.FOX_SAMPLE_SECONDS ?? 600);
const until = Date.now() + seconds * 1000;
report(`sample running for ${seconds}s (profiler: ${process.env.FOX_PROFILER ? 'on' : 'off'})`);
while (Date.now() < until) {
  await crunch(2_000 + Math.floor(Math.random() * 2_000));
  const mode = task?.info().current ?? '?';
  if (mode !== status.mode) {
    status.mode = mode;
    report(`crunch runs as ${mode}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await fox.shutdown();
