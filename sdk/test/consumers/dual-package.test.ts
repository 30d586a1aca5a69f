import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeProject, requireBuiltSdk, runNode } from './temp-project.js';

/**
 * Both builds of @fox/sdk in one process: a program that imports the ESM build and a
 * dependency that requires the CJS build get two copies of every module. The runtime is shared
 * through `globalThis`; these tests show that the rest of the process-wide state is too: a
 * proposal made through either copy reaches the guardian that the other started, and the kill
 * switch of either copy stops an experiment that the other's forge runs. Each case runs with
 * either copy loaded (and creating the runtime) first.
 */

const LOAD = `
import { createRequire } from 'node:module';
const esm = await import('@fox/sdk');
const cjs = createRequire(import.meta.url)('@fox/sdk');
if (esm.fox === cjs.fox) throw new Error('expected two copies of the sdk');
const [first, second] = process.env.ORDER === 'cjs-first' ? [cjs, esm] : [esm, cjs];
// Chaos Forge's own entry: in CJS a third copy (each CJS entry is a bundle of its own).
const chaosOf = { esm: await import('@fox/sdk/chaos'), cjs: createRequire(import.meta.url)('@fox/sdk/chaos') };
const names = process.env.ORDER === 'cjs-first' ? ['cjs', 'esm'] : ['esm', 'cjs'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
`;

/**
 * The first copy opens the store (and so starts the guardian); each copy then creates an auto
 * task that the analyser's hints want in wfox, so each proposes a switch at once.
 */
const PROPOSALS_APP = `${LOAD}
first.fox.configure({ store: process.env.DB });
const tasks = names.map((name, i) =>
  [first, second][i].fox({ mode: 'auto', id: 'dual#' + name }, async function work() { return name; }),
);
const decided = () => new Set([...first.proposalHistory(), ...second.proposalHistory()].map((r) => r.proposal.id)).size;
for (let i = 0; i < 500 && decided() < 2; i++) await sleep(10);
await Promise.all(tasks.map((t) => t()));
const current = Object.fromEntries(first.fox.tasks().map((t) => [t.id, t.current]));
await first.fox.shutdown();
console.log(JSON.stringify({ current, decided: decided() }));
`;

/**
 * FOX_CHAOS names an experiment that fails every call of \`dual#work\`; the runtime's forge
 * starts it when the store opens (at the first registration). Once faults land, the kill
 * switch of the *other* copy is pulled; no call may fail after that.
 */
const CHAOS_APP = `${LOAD}
const work = first.fox({ id: 'dual#work' }, async () => 'ok');
let before = 0;
for (let i = 0; i < 1000 && before === 0; i++) {
  try { await work(); } catch (e) { if (e.code !== 'FOX_CHAOS_INJECTED') throw e; before++; }
  await sleep(2);
}
chaosOf[names[1]].killAllChaos('pulled through the ' + names[1] + ' copy');
let after = 0;
for (let i = 0; i < 50; i++) {
  try { await work(); } catch (e) { if (e.code !== 'FOX_CHAOS_INJECTED') throw e; after++; }
}
const killed = [chaosOf[names[0]].chaosKilled(), chaosOf[names[1]].chaosKilled()];
await first.fox.shutdown();
console.log(JSON.stringify({ before, after, killed }));
`;

/**
 * Errors made by one copy pass the other's guards and \`instanceof\`; a call of a task created
 * through one copy is the parent of a call made through the other.
 */
const SHARED_APP = `${LOAD}
const timeout = new first.FoxTimeoutError(5, 'dual#x');
const guardian = new first.GuardianError('GUARDIAN_EXPIRED', 'too late');
const circuit = new first.FoxBrokenCircuitError('open', 10);
const guards = {
  isFoxError: second.isFoxError(timeout),
  hasFoxCode: second.hasFoxCode(timeout, 'FOX_TIMEOUT'),
  instanceOfClass: timeout instanceof second.FoxTimeoutError,
  instanceOfBase: timeout instanceof second.FoxError,
  instanceOfOther: timeout instanceof second.FoxRejectedError,
  isGuardianError: second.isGuardianError(guardian, 'GUARDIAN_EXPIRED'),
  guardianIsFoxError: second.isFoxError(guardian),
  isBrokenCircuitError: second.isBrokenCircuitError(circuit),
};
const inner = second.fox({ id: 'dual#inner' }, async () => second.fox.context()?.parent?.taskId);
const outer = first.fox({ id: 'dual#outer' }, async () => inner());
const parent = await outer();
await first.fox.shutdown();
console.log(JSON.stringify({ guards, parent }));
`;

const EXPERIMENT = {
  name: 'dual',
  seed: 1,
  impact: 'low',
  hypothesis: { probes: [] },
  method: [{ fault: { type: 'error' }, target: { tasks: ['dual#*'], rate: 1 } }],
  baselineMs: 0,
  durationMs: 120_000,
  recoveryMs: 0,
};

describe('both builds of @fox/sdk in one process', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  before(requireBuiltSdk);

  function project(app: string): string {
    const dir = makeProject({ type: 'module' }, { 'app.mjs': app });
    dirs.push(dir);
    mkdirSync(join(dir, '.fox'), { recursive: true });
    return dir;
  }

  for (const order of ['esm-first', 'cjs-first'] as const) {
    it(`shares error identity and the call context between the copies (${order})`, async () => {
      const r = await runNode<{ guards: Record<string, boolean>; parent: string }>(
        project(SHARED_APP),
        ['app.mjs'],
        { ORDER: order },
      );
      assert.deepEqual(r.guards, {
        isFoxError: true,
        hasFoxCode: true,
        instanceOfClass: true,
        instanceOfBase: true,
        instanceOfOther: false,
        isGuardianError: true,
        guardianIsFoxError: true,
        isBrokenCircuitError: true,
      });
      assert.equal(r.parent, 'dual#outer');
    });

    it(`sends proposals from both copies to the one guardian (${order})`, async () => {
      const dir = project(PROPOSALS_APP);
      // The analyser's hints: both tasks belong in wfox, so auto proposes at registration.
      writeFileSync(
        join(dir, '.fox', 'analysis.json'),
        JSON.stringify({
          functions: ['dual#esm', 'dual#cjs'].map((id) => ({ id, recommendedMode: 'wfox' })),
        }),
      );
      const db = join(dir, '.fox', 'fox.db');
      const r = await runNode<{ current: Record<string, string>; decided: number }>(
        dir,
        ['app.mjs'],
        { ORDER: order, DB: db },
      );
      const conn = new Database(db, { readonly: true });
      const rows = conn
        .prepare(`SELECT task_id AS taskId, state FROM proposals ORDER BY task_id`)
        .all() as { taskId: string; state: string }[];
      conn.close();
      assert.equal(r.decided, 2);
      // The default policy sends a medium-impact switch to people and, with no approvers,
      // denies it: both tasks stay where they were, and both proposals are on record.
      assert.deepEqual(rows, [
        { taskId: 'dual#cjs', state: 'denied' },
        { taskId: 'dual#esm', state: 'denied' },
      ]);
      assert.deepEqual(r.current, { 'dual#esm': 'sfox', 'dual#cjs': 'sfox' });
    });

    it(`stops an experiment with the other copy's kill switch (${order})`, async () => {
      const dir = project(CHAOS_APP);
      const r = await runNode<{ before: number; after: number; killed: boolean[] }>(
        dir,
        ['app.mjs'],
        {
          ORDER: order,
          FOX_STORE: join(dir, '.fox', 'fox.db'),
          FOX_CHAOS: JSON.stringify(EXPERIMENT),
        },
      );
      assert.equal(r.before, 1, 'faults were injected before the kill');
      assert.equal(r.after, 0, 'no fault after the kill');
      assert.deepEqual(r.killed, [true, true]);
    });
  }
});
