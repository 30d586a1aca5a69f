/**
 * The tuner of one task: a loop of phases driven by the tuner's tick.
 *
 * ```text
 * cooldown ─▶ recording ─▶ screening ─▶ canary ─▶ proposed ─▶ watching ─▶ cooldown
 *                │              │           │          │            └─ regression: rollback
 *                └──────────────┴───────────┴──────────┴─ nothing better / harm / denied
 * ```
 *
 * One change at a time: each experiment changes one gene. Every candidate becomes a generation
 * in the lineage (ULID, parent, change, evidence, decision, audit entry), whatever its fate. A
 * winning candidate is adopted only through a guardian `policy-change` proposal; a regression
 * in the watch window is rolled back at once (no approval needed to go back) and audited.
 */
import type { Clock } from '../clock/clock.js';
import { SeededRandom } from '../chaos/rng.js';
import type { Disposable, FoxEvent } from '../events/emitter.js';
import type { AuditLog } from '../guardian/audit-log.js';
import type { Guardian } from '../guardian/guardian.js';
import { fastUlid } from '../guardian/ulid.js';
import { buildPolicies, type PolicyChain } from '../policies/index.js';
import type { TuneOption } from '../policies/tune-options.js';
import type { TuningHook } from '../task/task.js';
import { CanaryHook, RecordingHook, ScoringHook } from './call-hooks.js';
import { candidateChanges, evidenceOf, optionsOf, screenCandidates } from './candidates.js';
import { armBrief, canaryVerdict } from './canary-verdict.js';
import { quantile } from './evidence.js';
import {
  genomeOf,
  patchOf,
  policyOf,
  valuesOf,
  withGene,
  type GeneName,
  type Genome,
  type PolicyConfigs,
} from './genome.js';
import type { Generation, GenerationChange, LineageStore } from './lineage-store.js';
import type { RecordedInterval } from './recorded-interval.js';
import { INITIAL_TEST_STATE, look, welch, type TestState } from './sequential-test.js';
import type { TunerSettings } from './tuner-options.js';

/** What the tuner needs of a task (a runtime `Task` fits). */
export interface TunableTask {
  readonly id: string;
  readonly policyChain: PolicyChain | undefined;
  setTuning(hook: TuningHook | undefined): void;
  /** Strategy switches (auto's trials, approved changes): an experiment across one is void. */
  readonly onStrategyChange?: FoxEvent<{ from: string; to: string }>;
}

export interface TaskTunerDeps {
  clock: Clock;
  lineage: LineageStore;
  guardian: Pick<Guardian, 'propose' | 'get'>;
  audit: Pick<AuditLog, 'append' | 'latestAbout'>;
  settings: TunerSettings;
  /**
   * Told when the watch window rolls back an adopted change: the proposal that adopted it and
   * why (the guardian's webhooks announce it).
   */
  onRollback?(proposalId: string, detail: string): void;
}

export type TunerPhase =
  'paused' | 'cooldown' | 'recording' | 'screening' | 'canary' | 'proposed' | 'watching';

export interface TaskTunerStatus {
  taskId: string;
  phase: TunerPhase;
  genome: Partial<Record<GeneName, number>>;
  pinned: string[];
  /** The range each gene may move in. */
  bounds: Partial<Record<GeneName, { min: number; max: number }>>;
  currentGeneration: string | null;
  /** The generation under test, its change and the test's progress. */
  experiment?: {
    generation: string;
    change: GenerationChange;
    control: { calls: number; ok: number; p99: number; attemptsPerCall: number };
    candidate: { calls: number; ok: number; p99: number; attemptsPerCall: number };
    looks: number;
    fraction: number;
    z: number | undefined;
  };
}

interface Experiment {
  generation: Generation;
  change: GenerationChange;
  hook: CanaryHook;
  test: TestState;
  startedAt: number;
  screening: unknown;
}

/** Longest a recording waits for its calls to finish before it is cut as it is. */
const RECORDING_MAX_MS = 120_000;

/** The canary starts at 1/CANARY_RAMP of its share (see startCanary). */
const CANARY_RAMP = 5;

export class TaskTuner {
  private phase: TunerPhase = 'cooldown';
  private until = 0;
  private genome: Genome;
  private currentId: string | null = null;
  private recording: RecordingHook | undefined;
  private recordingSince = 0;
  private experiment: Experiment | undefined;
  private proposalId: string | undefined;
  private watch: { hook: ScoringHook; baseline: number[]; previous: number } | undefined;
  private busy = false;
  /** The score's latency cap (the objective, or twice the recorded p99) for this experiment. */
  private capMs = 1000;
  private readonly rng: SeededRandom;

  constructor(
    private readonly task: TunableTask,
    private tune: TuneOption,
    private readonly deps: TaskTunerDeps,
  ) {
    this.rng = new SeededRandom(
      (deps.settings.seed ?? Math.floor(Math.random() * 0xffffffff)) ^ hash(task.id),
    );
    this.genome = this.readGenome();
    this.strategySub = task.onStrategyChange?.((e) => this.strategyChanged(e));
  }

  private readonly strategySub: Disposable | undefined;

  /**
   * Calls under another strategy are not comparable with the ones before: a recording, canary
   * or watch window that spans a switch is dropped (its generation says why) and retried later.
   */
  private strategyChanged(e: { from: string; to: string }): void {
    if (this.phase === 'recording' || this.phase === 'canary' || this.phase === 'watching') {
      this.stopExperiment(`strategy-change ${e.from} → ${e.to}`);
      this.enterCooldown();
    }
  }

  private readGenome(): Genome {
    const chain = this.task.policyChain;
    const configs: PolicyConfigs = {
      timeout: chain?.get('timeout')?.config,
      retry: chain?.get('retry')?.config,
      hedge: chain?.get('hedge')?.config,
      breaker: chain?.get('breaker')?.config,
    };
    return genomeOf(this.task.id, configs, this.tune);
  }

  /** Restores the task's current generation from the lineage, or records a baseline. */
  start(): void {
    const { lineage, clock } = this.deps;
    const state = lineage.state(this.task.id);
    const current = state?.currentId ? lineage.get(state.currentId) : undefined;
    if (current && this.restore(current)) {
      this.genome = this.readGenome();
      this.currentId = current.id;
    } else {
      const g: Generation = {
        id: fastUlid(clock.wallNow()),
        taskId: this.task.id,
        parentId: null,
        createdAt: clock.wallNow(),
        genome: valuesOf(this.genome),
        change: null,
        evidence: null,
        decision: 'baseline',
        proposalId: null,
        auditEntryId: null,
      };
      lineage.insert(g);
      lineage.setCurrent(this.task.id, g.id);
      this.currentId = g.id;
    }
    if (state?.paused) this.phase = 'paused';
    else this.enterRecording();
  }

  /**
   * Applies a stored generation's values to the live policies. False (and nothing changed)
   * when one no longer validates against the code (e.g. a hedge delay the new timeout rules
   * out): the tuner then starts a new baseline from what the code says.
   */
  private restore(g: Generation): boolean {
    const chain = this.task.policyChain;
    const before = new Map<GeneName, number>();
    try {
      for (const [name, value] of Object.entries(g.genome) as [GeneName, number][]) {
        const gene = this.genome.genes[name];
        // Pinned or no longer present in the code: leave it alone.
        if (!gene || gene.value === value) continue;
        chain?.get(policyOf(name))?.configure(patchOf(name, value).config);
        before.set(name, gene.value);
      }
      return true;
    } catch (err) {
      for (const [name, value] of before) {
        chain?.get(policyOf(name))?.configure(patchOf(name, value).config);
      }
      process.emitWarning(
        `fox tuner (${this.task.id}): generation ${g.id} not restored: ${(err as Error).message}`,
        'FoxTunerWarning',
      );
      return false;
    }
  }

  /**
   * Replaces the task's `tune` bounds at run time (validated like the decorator option). Takes
   * effect from the next experiment; a running one finishes with the bounds it started with.
   */
  setTune(tune: TuneOption): void {
    this.tune = tune;
    this.genome = this.readGenome();
  }

  pause(): void {
    this.stopExperiment('paused');
    this.deps.lineage.setPaused(this.task.id, true);
    this.phase = 'paused';
  }

  resume(): void {
    this.deps.lineage.setPaused(this.task.id, false);
    if (this.phase === 'paused') this.enterRecording();
  }

  status(): TaskTunerStatus {
    const e = this.experiment;
    return {
      taskId: this.task.id,
      phase: this.phase,
      genome: valuesOf(this.genome),
      pinned: [...this.genome.pinned],
      bounds: boundsOf(this.genome),
      currentGeneration: this.currentId,
      ...(e
        ? {
            experiment: {
              generation: e.generation.id,
              change: e.change,
              control: armBrief(e.hook.control),
              candidate: armBrief(e.hook.candidate),
              looks: e.test.looks,
              fraction: e.test.fraction,
              z: e.test.last?.z,
            },
          }
        : {}),
    };
  }

  /** Advances the phase; called by the tuner's timer. Never throws. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.step();
    } catch (err) {
      // A failed step ends the experiment; the task keeps running on its current parameters.
      this.stopExperiment('failed');
      this.enterCooldown();
      process.emitWarning(
        `fox tuner (${this.task.id}): ${(err as Error).message}`,
        'FoxTunerWarning',
      );
    } finally {
      this.busy = false;
    }
  }

  private async step(): Promise<void> {
    const now = this.deps.clock.now();
    switch (this.phase) {
      case 'paused':
      case 'screening':
        return;
      case 'cooldown':
        if (now >= this.until) this.enterRecording();
        return;
      case 'recording': {
        const rec = this.recording!.recorder;
        // A call that never ends (no timeout) must not keep the recorder on the path forever.
        if (!rec.complete && now - this.recordingSince < RECORDING_MAX_MS) return;
        if (rec.size < this.deps.settings.minPerArm) {
          this.enterCooldown();
          return;
        }
        this.task.setTuning(undefined);
        this.recording = undefined;
        const interval = rec.cut();
        this.deps.lineage.saveInterval(interval);
        this.phase = 'screening';
        await this.screenAndStart(interval);
        return;
      }
      case 'canary':
        this.lookAtCanary();
        return;
      case 'proposed':
        this.checkProposal();
        return;
      case 'watching':
        this.checkWatch();
        return;
    }
  }

  private enterRecording(): void {
    this.recording = new RecordingHook(
      this.task.id,
      this.deps.clock,
      this.deps.settings.recordCalls,
    );
    this.recordingSince = this.deps.clock.now();
    this.task.setTuning(this.recording);
    this.phase = 'recording';
  }

  private enterCooldown(): void {
    this.task.setTuning(undefined);
    this.phase = 'cooldown';
    this.until = this.deps.clock.now() + this.deps.settings.cooldownMs;
  }

  private newGeneration(
    change: GenerationChange,
    evidence: unknown,
    decision: Generation['decision'],
  ): Generation {
    const { clock, lineage } = this.deps;
    const genome = valuesOf(withGene(this.genome, change.gene, change.to));
    const g: Generation = {
      id: fastUlid(clock.wallNow()),
      taskId: this.task.id,
      parentId: this.currentId,
      createdAt: clock.wallNow(),
      genome,
      change,
      evidence,
      decision,
      proposalId: null,
      auditEntryId: null,
    };
    lineage.insert(g);
    return g;
  }

  /** Candidates from the rules and one mutation, screened in the sandbox; the best one runs. */
  private async screenAndStart(interval: RecordedInterval): Promise<void> {
    this.genome = this.readGenome();
    const ev = evidenceOf(interval);
    const callMs = interval.calls.map((c) => c.ms).sort((x, y) => x - y);
    const objective = this.deps.settings.objectiveMs;
    this.capMs = objective ?? Math.max(1, 2 * (quantile(callMs, 0.99) ?? 500));
    const chain = this.task.policyChain;
    const changes = candidateChanges(this.genome, ev, chain, this.rng);
    const result = await screenCandidates(interval, optionsOf(chain), changes, {
      taskId: this.task.id,
      clock: this.deps.clock,
      seed: Math.floor(this.rng.next() * 0xffffffff),
      ...(objective ? { objectiveMs: objective } : {}),
    });
    for (const r of result.rejected) this.newGeneration(r.change, r.evidence, 'screened-out');
    if (this.phase !== 'screening') return; // paused meanwhile
    const [best, ...others] = result.passed;
    for (const o of others) {
      const evidence = { screening: o.verdict, notTried: 'another candidate screened better' };
      this.newGeneration(o.change, evidence, 'screened-out');
    }
    if (!best) this.enterCooldown();
    else
      this.startCanary(best.change, best.options, { screening: best.verdict, rules: ev.attempts });
  }

  private startCanary(
    change: GenerationChange,
    options: Record<string, unknown>,
    screening: unknown,
  ): void {
    const s = this.deps.settings;
    const shadow = buildPolicies(options, { taskId: this.task.id, clock: this.deps.clock })!;
    // Starts at a fifth of the configured share and ramps up once a look has seen no harm, so
    // a harmful candidate that got past the sandbox touches few calls before it is stopped.
    const hook = new CanaryHook(
      shadow,
      s.canary / CANARY_RAMP,
      this.rng.fork(1),
      this.deps.clock,
      this.capMs,
    );
    const generation = this.newGeneration(change, screening, 'testing');
    this.experiment = {
      generation,
      change,
      hook,
      test: INITIAL_TEST_STATE,
      startedAt: this.deps.clock.now(),
      screening,
    };
    this.task.setTuning(hook);
    this.phase = 'canary';
  }

  private lookAtCanary(): void {
    const e = this.experiment!;
    const s = this.deps.settings;
    const settings = {
      alpha: s.alpha,
      harmAlpha: s.harmAlpha,
      maxPerArm: s.maxPerArm,
      minPerArm: s.minPerArm,
    };
    e.test = look(e.test, e.hook.control.scores, e.hook.candidate.scores, settings);
    if (e.test.decision === 'continue') {
      if (e.test.looks > 0) e.hook.fraction = s.canary;
      return;
    }
    const { decision, evidence } = canaryVerdict(e.hook, e.test, {
      alpha: s.alpha,
      capMs: this.capMs,
      seconds: (this.deps.clock.now() - e.startedAt) / 1000,
      screening: e.screening,
    });
    const baseline = [...e.hook.control.scores];
    this.task.setTuning(undefined);
    e.hook.dispose();
    this.experiment = undefined;
    if (decision !== 'adopt') {
      this.deps.lineage.update(e.generation.id, { decision, evidence });
      this.enterCooldown();
      return;
    }
    this.propose(e.generation, e.change, evidence, baseline).catch((err: unknown) => {
      // The guardian refused the proposal outright (closed, invalid): nothing changed.
      try {
        this.deps.lineage.update(e.generation.id, {
          decision: 'denied',
          evidence: { ...evidence, proposeError: (err as Error).message },
        });
      } catch {
        // The store closed under us (shutdown): the generation stays 'testing'.
      }
      this.proposalId = undefined;
      this.pendingGeneration = undefined;
      this.enterCooldown();
    });
  }

  private pendingBaseline: number[] = [];
  private pendingGeneration: Generation | undefined;

  private async propose(
    g: Generation,
    change: GenerationChange,
    evidence: unknown,
    baseline: number[],
  ): Promise<void> {
    this.phase = 'proposed';
    this.pendingBaseline = baseline;
    this.pendingGeneration = g;
    const p = await this.deps.guardian.propose({
      kind: 'policy-change',
      taskId: this.task.id,
      payload: patchOf(change.gene, change.to),
      impact: this.deps.settings.impact,
      proposer: 'tuner',
      evidence: JSON.parse(
        JSON.stringify({ generation: g.id, change, ...(evidence as object) }),
      ) as unknown,
    });
    this.proposalId = p.id;
    this.deps.lineage.update(g.id, { decision: 'proposed', evidence, proposalId: p.id });
    this.checkProposal();
  }

  private checkProposal(): void {
    if (this.proposalId === undefined || this.pendingGeneration === undefined) return;
    const p = this.deps.guardian.get(this.proposalId);
    if (!p || p.state === 'pending' || p.state === 'approved') return;
    const g = this.pendingGeneration;
    const entry = this.deps.audit.latestAbout(p.id);
    this.proposalId = undefined;
    this.pendingGeneration = undefined;
    if (p.state !== 'applied') {
      this.deps.lineage.update(g.id, { decision: 'denied', auditEntryId: entry?.id ?? null });
      this.enterCooldown();
      return;
    }
    this.deps.lineage.update(g.id, { decision: 'adopted', auditEntryId: entry?.id ?? null });
    this.deps.lineage.setCurrent(this.task.id, g.id);
    const previous = this.genome.genes[g.change!.gene]?.value ?? g.change!.from;
    this.currentId = g.id;
    this.genome = this.readGenome();
    const hook = new ScoringHook(this.deps.clock, this.capMs);
    this.watch = { hook, baseline: this.pendingBaseline, previous };
    this.task.setTuning(hook);
    this.phase = 'watching';
  }

  private checkWatch(): void {
    const w = this.watch!;
    if (w.hook.samples.calls < this.deps.settings.watchCalls) return;
    const mw = welch(w.baseline, w.hook.samples.scores);
    const g = this.deps.lineage.get(this.currentId!)!;
    this.watch = undefined;
    // One-sided 1% test against the control arm the candidate beat.
    if (mw.z > -2.326) {
      this.deps.lineage.update(g.id, {
        evidence: {
          ...(g.evidence as object),
          watch: { z: mw.z, effect: mw.effect, calls: mw.nCandidate },
        },
      });
      this.enterCooldown();
      return;
    }
    this.rollback(g, w.previous, mw.z);
  }

  /** Goes back to the parent's value at once (no approval needed to undo) and audits it. */
  private rollback(g: Generation, previous: number, z: number): void {
    const change = g.change!;
    this.task.setTuning(undefined);
    this.task.policyChain
      ?.get(policyOf(change.gene))
      ?.configure(patchOf(change.gene, previous).config);
    const back: GenerationChange = {
      gene: change.gene,
      from: change.to,
      to: previous,
      source: 'rollback',
    };
    const r = this.newGeneration(back, { regressionOf: g.id, z }, 'rolled-back');
    const entry = this.deps.audit.append({
      type: 'tuner-rollback',
      data: {
        taskId: this.task.id,
        generation: r.id,
        of: g.id,
        gene: change.gene,
        from: change.to,
        to: previous,
        z,
      },
    });
    this.deps.lineage.update(r.id, { auditEntryId: entry.id });
    this.deps.lineage.setCurrent(this.task.id, r.id);
    if (g.proposalId) {
      this.deps.onRollback?.(
        g.proposalId,
        `${change.gene} ${change.to} → ${previous}: worse than before in the watch window (z = ${z.toFixed(2)})`,
      );
    }
    this.currentId = r.id;
    this.genome = this.readGenome();
    this.enterCooldown();
  }

  private stopExperiment(reason: string): void {
    this.task.setTuning(undefined);
    this.recording = undefined;
    const e = this.experiment;
    if (e) {
      e.hook.dispose();
      this.deps.lineage.update(e.generation.id, {
        decision: 'no-effect',
        evidence: { stopped: reason },
      });
      this.experiment = undefined;
    }
    this.watch = undefined;
  }

  dispose(): void {
    this.strategySub?.dispose();
    this.stopExperiment('paused');
  }

  /** ms the current recording has run (for status). */
  get recordingFor(): number {
    return this.phase === 'recording' ? this.deps.clock.now() - this.recordingSince : 0;
  }
}

function boundsOf(g: Genome): TaskTunerStatus['bounds'] {
  const out: TaskTunerStatus['bounds'] = {};
  for (const gene of Object.values(g.genes))
    if (gene) out[gene.name] = { min: gene.min, max: gene.max };
  return out;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
