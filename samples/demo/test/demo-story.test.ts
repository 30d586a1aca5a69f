import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startProfiler, type Profiler } from '@fox/profiler';
import type { EventView, ProposalView } from '@fox/profiler';
import { GUARDIAN_TABLES } from '@fox/sdk/guardian';
import { openStore } from '@fox/sdk/store';
import type { Browser } from 'playwright-core';
import { hasChromium, launchChromium, openPage, poll } from '../../../profiler/test/ui/browser.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const APPROVER = 'demo-tester';
const AUTO_TASK = 'src/cpu-work.ts#forecastDemand';
const CHAOS_TASK = 'src/inventory.ts#Inventory.stockOf';
/** Four times the normal pace: the partner's outage comes after 6.5 s, a flow runs every 1.25 s. */
const SPEED = '4';
const DURATION_MS = 24_000;

/**
 * The whole demo, headless, against a real profiler: a real child process running
 * samples/demo/src/main.ts on a shortened schedule, checked through the profiler's live state,
 * its page (when chromium is installed), the demo's store and the `fox` CLI.
 */
describe('demo story (npm start shows the whole product)', function () {
  this.timeout(60_000);
  let tmp: string;
  let profiler: Profiler;
  let demo: ChildProcess;
  let stdout = '';
  let stderr = '';
  let exit: Promise<number | null>;
  let browser: Browser | undefined;
  /** Everything the feed showed, and every mode and breaker state the task table showed. */
  const seen = {
    events: [] as EventView[],
    modes: new Map<string, Set<string>>(),
    breakerOpen: false,
  };
  const seenKeys = new Set<string>();
  let approvedAt = 0;
  let switchedAt = 0;
  let watcher: NodeJS.Timeout;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'fox-demo-'));
    profiler = await startProfiler({
      storePath: join(tmp, 'profiler.db'),
      pushIntervalMs: 200,
      approver: APPROVER,
    });
    demo = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', join(root, 'samples/demo/src/main.ts')],
      {
        // tsx resolves from the working directory; the store is named by FOX_DEMO_STORE.
        cwd: root,
        env: {
          ...process.env,
          FOX_PROFILER: profiler.url,
          FOX_DEMO_SPEED: SPEED,
          FOX_DEMO_DURATION: `${DURATION_MS}ms`,
          FOX_DEMO_STORE: join(tmp, 'fox.db'),
          FOX_APPROVER: APPROVER,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    demo.stdout!.on('data', (d: Buffer) => (stdout += String(d)));
    demo.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
    exit = new Promise((r) => demo.once('exit', (code) => r(code)));
    watcher = setInterval(() => {
      const state = profiler.state();
      for (const e of state.events) {
        const key = JSON.stringify(e);
        if (seenKeys.has(key)) continue;
        seenKeys.add(key);
        seen.events.push(e);
      }
      for (const t of state.tasks) {
        const modes = seen.modes.get(t.id) ?? new Set<string>();
        modes.add(t.current);
        seen.modes.set(t.id, modes);
        if (t.breaker === 'open') seen.breakerOpen = true;
      }
    }, 100);
    if (hasChromium()) browser = await launchChromium();
  });

  after(async () => {
    clearInterval(watcher);
    await browser?.close();
    if (demo && demo.exitCode === null && demo.signalCode === null) {
      demo.kill('SIGKILL');
      await exit;
    }
    await profiler?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const why = () => `demo stdout:\n${stdout}\ndemo stderr:\n${stderr}`;
  const proposalsOf = (taskId: string | null): ProposalView[] =>
    (profiler.state().proposals ?? []).filter((p) => p.taskId === taskId);

  /** Approves a pending proposal with the page's Approve button (or the host API without chromium). */
  async function approve(p: ProposalView): Promise<void> {
    if (!browser) {
      const r = profiler.decide(p.processId, {
        proposalId: p.proposalId,
        payloadHash: p.payloadHash!,
        approver: APPROVER,
        verdict: 'approve',
      });
      assert.equal(r.ok, true, r.reason);
      return;
    }
    const { page, problems } = await openPage(browser, profiler.uiUrl);
    const item = page.locator(`[data-testid="proposals"] li[data-proposal-id="${p.proposalId}"]`);
    await item.waitFor({ timeout: 15_000 });
    // `fox profile --approver` (here: startProfiler's `approver`) fills in the name.
    assert.equal(await page.locator('[data-testid="approver"]').inputValue(), APPROVER);
    const button = item.locator('button[data-action="approve"]');
    await poll(async () => !(await button.isDisabled()), 'the Approve button to enable');
    await button.click();
    const badge = item.locator('[data-testid="proposal-state"]');
    await poll(async () => (await badge.textContent()) === 'applied', 'the applied state', 20_000);
    assert.deepEqual(problems, [], 'no console errors');
    await page.close();
  }

  it('proposes the bundled chaos experiment; approving it starts it; the kill switch stops it; its report is shown', async () => {
    await waitFor(
      () =>
        proposalsOf(null).some(
          (p) => p.state === 'pending' && p.summary.includes('inventory brownout'),
        ),
      20_000,
      `the chaos experiment's proposal\n${why()}`,
    );
    assert.deepEqual(profiler.state().chaosRuns ?? [], [], 'nothing runs before the approval');
    await approve(proposalsOf(null).find((p) => p.state === 'pending')!);
    await waitFor(
      () => (profiler.state().chaosRuns ?? []).some((r) => r.state === 'running'),
      10_000,
      `a running chaos experiment\n${why()}`,
    );
    const run = profiler.state().chaosRuns!.find((r) => r.state === 'running')!;
    assert.deepEqual(run.taskIds, [CHAOS_TASK]);
    if (browser) {
      const { page, problems } = await openPage(browser, profiler.uiUrl);
      await page.locator('[data-testid="chaos-banner"]').waitFor({ state: 'visible' });
      const kill = page.locator('[data-testid="chaos-kill"]');
      await kill.waitFor({ state: 'visible', timeout: 15_000 });
      await poll(async () => !(await kill.isDisabled()), 'the kill switch to enable');
      await kill.click();
      const reports = page.locator('[data-testid="chaos-reports"]');
      await poll(
        async () => ((await reports.textContent()) ?? '').includes('inventory brownout'),
        'the report in the page',
      );
      assert.deepEqual(problems, [], 'no console errors');
      await page.close();
    } else {
      assert.equal(profiler.killChaos(undefined, 'demo test').ok, true);
    }
    await waitFor(
      () =>
        (profiler.state().chaosReports ?? []).some(
          (r) => r.report.experimentId === run.experimentId,
        ),
      10_000,
      `the experiment's report\n${why()}`,
    );
    const stopped = profiler.state().chaosRuns!.find((r) => r.experimentId === run.experimentId)!;
    assert.equal(stopped.state, 'aborted', JSON.stringify(stopped));
  });

  it('holds auto’s switch of the CPU-heavy task to tfox for the one named approver', async () => {
    await waitFor(
      () => proposalsOf(AUTO_TASK).some((p) => p.state === 'pending'),
      20_000,
      `auto's proposal\n${why()}`,
    );
    const p = proposalsOf(AUTO_TASK).find((x) => x.state === 'pending')!;
    assert.match(p.summary, /"from":"sfox","to":"tfox"/);
    assert.equal(p.approvalsNeeded, 1);
    const task = profiler.state().tasks.find((t) => t.id === AUTO_TASK)!;
    assert.equal(task.mode, 'auto');
    assert.equal(task.current, 'sfox', 'nothing changes before the approval');
  });

  it('approving the proposal in the page applies it: the task runs on tfox', async function () {
    const pending = proposalsOf(AUTO_TASK).find((x) => x.state === 'pending')!;
    approvedAt = Date.now();
    await approve(pending);
    await waitFor(
      () =>
        proposalsOf(AUTO_TASK).some(
          (p) => p.proposalId === pending.proposalId && p.state === 'applied',
        ),
      20_000,
      `the proposal to be applied\n${why()}`,
    );
    await waitFor(
      () => seen.modes.get(AUTO_TASK)?.has('tfox') === true,
      10_000,
      `the task to run on tfox\n${why()}`,
    );
    switchedAt = Date.now();
    if (!browser) this.skip(); // approved, but not through the page
  });

  it('runs to the end and prints what happened, with absolute paths; the audit log verifies', async () => {
    assert.equal(await exit, 0, why());
    // Every strategy was at work.
    const modes = new Set([...seen.modes.values()].flatMap((s) => [...s]));
    for (const m of ['sfox', 'wfox', 'tfox', 'mfox'])
      assert.ok(modes.has(m), `${m} in ${[...modes]}`);
    assert.deepEqual([...seen.modes.get('src/catalog-files.ts#readCatalogPages')!], ['mfox']);
    assert.deepEqual([...seen.modes.get('src/cpu-work.ts#hashReport')!], ['tfox']);
    // The partner's outage opened the breaker: in the table and in the feed.
    assert.ok(seen.breakerOpen, 'a breaker shown open in the task table');
    assert.ok(
      seen.events.some((e) => e.event.kind === 'breaker' && e.event.to === 'open'),
      'a breaker opening in the feed',
    );

    const gauges = profiler.state().processes[0]!.gauges;
    const p99 = (from: number, to: number) =>
      gauges
        .filter((g) => g.at >= from && g.at < to && g.delayP99 !== null)
        .map((g) => g.delayP99!);
    // The event-loop delay falls once the CPU-heavy task left the loop (the first point is
    // start-up, left out).
    const before = p99(0, approvedAt).slice(1);
    const after = p99(switchedAt + 1000, Infinity);
    assert.ok(before.length > 0 && after.length > 2, `${before} | ${after}`);
    assert.ok(median(after) < median(before), `loop delay p99 before ${before}, after ${after}`);

    // The summary.
    const counted = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(stdout)?.[1]);
    assert.match(stdout, new RegExp(`${AUTO_TASK}: sfox → tfox`), why());
    assert.match(stdout, new RegExp(`${APPROVER} approved`), why());
    assert.ok(counted('breaker openings') >= 1, why());
    assert.ok(counted('retries') > 0 && counted('fallbacks') > 0 && counted('hedges') > 0, why());
    assert.ok(counted('chaos experiments') === 1, why());
    assert.ok(counted('flow runs') >= 3, why());
    // The tuner ran at least one experiment on the partner API (screened, or a canary).
    assert.ok(counted('tuning') >= 1, why());
    assert.match(stdout, /audit log: verified/, why());
    const storeLine = /store \(audit log, chaos reports, flow runs\): (.+)/.exec(stdout)?.[1];
    assert.equal(storeLine, join(tmp, 'fox.db'));
    assert.ok(isAbsolute(/audit key: (.+)/.exec(stdout)![1]!));

    // The store says the same.
    const store = openStore({ path: join(tmp, 'fox.db') });
    try {
      const db = store.use(GUARDIAN_TABLES);
      const applied = db
        .prepare(
          `SELECT id FROM proposals WHERE kind = 'strategy-change' AND task_id = ? AND state = 'applied'`,
        )
        .all(AUTO_TASK);
      assert.ok(applied.length >= 1);
      const votes = db.prepare(`SELECT approver, verdict FROM approvals`).all();
      // The chaos experiment's and auto's switch: both by the one named approver.
      assert.deepEqual(votes, [
        { approver: APPROVER, verdict: 'approve' },
        { approver: APPROVER, verdict: 'approve' },
      ]);
      const reports = db.prepare(`SELECT name FROM chaos_reports`).all();
      assert.deepEqual(reports, [{ name: 'inventory brownout' }]);
      const flows = db
        .prepare(
          `SELECT count(*) AS n FROM flow_runs WHERE flow = 'order-processing' AND status = 'succeeded'`,
        )
        .get() as { n: number };
      assert.ok(flows.n >= 3, `flow runs: ${flows.n}`);
      const tuned = db
        .prepare(
          `SELECT count(*) AS n FROM tuner_generations WHERE task_id = 'src/dependencies.ts#PartnerApi.quote' AND change IS NOT NULL`,
        )
        .get() as { n: number };
      assert.ok(tuned.n >= 1, `tuner candidates: ${tuned.n}`);
    } finally {
      store.close();
    }

    // `fox audit verify` on the demo's store.
    const { stdout: verified } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=source',
        join(root, 'sdk/bin/fox.js'),
        'audit',
        'verify',
        '--store',
        join(tmp, 'fox.db'),
      ],
      { cwd: root },
    );
    assert.match(verified, /^OK: \d+ entries/);
  });
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
