/**
 * `@fox/sdk/chaos`: Chaos Forge — experiments (`parseExperiment`), the forge that runs them, the
 * kill switch and reports. `fox chaos run exp.json -- node app.js` is the usual way in.
 *
 * ```ts
 * import { parseExperiment } from '@fox/sdk/chaos';
 * ```
 */
export {
  ChaosExperimentError,
  ExperimentSchema,
  FaultSchema,
  ProbeSchema,
  TargetSchema,
  parseExperiment,
  type Experiment,
  type ExperimentInput,
  type Fault,
  type Probe,
  type Target,
} from './experiment.js';
export {
  ChaosForge,
  type ChaosEvent,
  type ChaosForgeOptions,
  type ChaosHost,
  type ChaosTarget,
} from './forge.js';
export { type ExperimentRun, type RunState } from './experiment-run.js';
export { chaosKilled, killAllChaos, resetChaosKillSwitch } from './process-kill-switch.js';
export { isInjected, type ChaosHook } from './hook.js';
export { ChaosInjectedError } from './injected-error.js';
export {
  ChaosKillSwitchError,
  KILL_FILE_NAME,
  clearKillFile,
  killFilePath,
  readKillFile,
  watchKillFile,
  writeKillFile,
  type KillFileContent,
} from './kill-switch.js';
export { FaultInjector, type ChaosSample, type Decision, type Phase } from './injector.js';
export { toWireChaosReport, type ChaosReport, type Interval, type PhaseStats } from './report.js';
export { SeededRandom } from './rng.js';
export { taskGlob, taskMatcher } from '../task/task-glob.js';
export { CHAOS_ENV, experimentFromEnv } from './runtime-bridge.js';
export { chaosTargetOf } from '../runtime/chaos-target.js';
export { quantileWithCi, wilson } from './confidence.js';
export {
  CHAOS_REPORTS,
  CHAOS_SCHEMA,
  type ChaosReportStore,
  type SavedChaosReportFields,
  type StoredChaosReport,
} from './report-store.js';
