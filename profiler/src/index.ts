export { startCollector } from './collector/collector.js';
export type { Collector, CollectorCounters, CollectorOptions } from './collector/collector.js';
export { DEFAULT_COLLECTOR_LIMITS } from './collector/limits.js';
export type { CollectorLimits, CutCounters } from './collector/limits.js';
export { generateToken, tokenMatches } from './collector/token.js';
export { startProfiler } from './server/profiler-server.js';
export type { Profiler, ProfilerCounters, ProfilerOptions } from './server/profiler-server.js';
export type { UiChannelCounters } from './server/ui-channel.js';
export type { FlowRunSummary } from './server/flow-runs-api.js';
export type { IngestCounters } from './ingest/ingest.js';
export type * from './live/view.js';
export { CpuProfileWindows } from './live/cpu-functions.js';
export type { CpuFunctionQuery, CpuFunctionView } from './live/cpu-functions.js';
export {
  ReportSourceError,
  renderReport,
  storedReportMessages,
  writeReport,
  writeStoredReport,
} from './report/report.js';
export type { StoredReportOptions } from './report/report.js';
export { main as profileMain } from './cli/profile.js';
