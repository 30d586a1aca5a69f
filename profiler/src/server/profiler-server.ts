import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_STORE_PATH } from '@fox/sdk/store';
import { WireChaosReportSchema, type ApprovalDecision } from '@fox/sdk/protocol';
import { ulid } from 'ulid';
import type { WebSocket } from 'ws';
import { startCollector, type Collector, type CollectorCounters } from '../collector/collector.js';
import type { CollectorLimits } from '../collector/limits.js';
import { tokenMatches } from '../collector/token.js';
import {
  emptyIngestCounters,
  rejectedTotal,
  serveExporter,
  type IngestCounters,
} from '../ingest/ingest.js';
import {
  CpuProfileWindows,
  type CpuFunctionQuery,
  type CpuFunctionView,
} from '../live/cpu-functions.js';
import { liveHotFunctions } from '../live/hot-functions.js';
import { LiveState } from '../live/live-state.js';
import type { CollectorStatsView, ServerToUi, UiState } from '../live/view.js';
import { BatchWriter, type WriterCounters } from '../storage/batch-writer.js';
import { loadUiAssets } from './ui-assets.js';
import {
  coalesce,
  ControlBudget,
  ControlRelay,
  emptyUiChannelCounters,
  handleUiMessage,
  type UiChannelCounters,
  type UiSession,
} from './ui-channel.js';
import { findFlowRun, listFlowRuns } from './flow-runs-api.js';

/** Stored chaos reports shown at start-up, so the last experiments survive a restart. */
const PRELOADED_CHAOS_REPORTS = 10;

export interface ProfilerOptions {
  /** Loopback address. Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (random). */
  port?: number;
  token?: string;
  /** SQLite file; `false` keeps everything in memory only. Default `.fox/fox.db`. */
  storePath?: string | false;
  /** Telemetry older than this is pruned. Default: the store's retention (7 days). */
  retentionMs?: number;
  /** How often live views are pushed to UI clients. Default 1000 ms. */
  pushIntervalMs?: number;
  /** Largest accepted exporter frame. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Per exporter connection, bytes/s before it is paused. Default 16 MiB. */
  bytesPerSecond?: number;
  /** Approver name the browser page starts with (its own remembered name otherwise). */
  approver?: string;
  /** Time limits and socket bounds of the collector (defaults in {@link CollectorLimits}). */
  limits?: Partial<CollectorLimits>;
  onError?: (err: unknown) => void;
}

export interface ProfilerCounters extends IngestCounters {
  /** Connections: accepted, refused, open, and cut off by a limit. */
  connections: CollectorCounters;
  store: WriterCounters | undefined;
  uiClients: number;
  /** Messages from UI clients: refused ones by reason, and what was relayed to processes. */
  ui: UiChannelCounters;
}

/** A running profiler: collector + store + live UI on one loopback port. */
export interface Profiler {
  /** For the child's `FOX_PROFILER`. */
  readonly url: string;
  /** The live UI page (token in the query). */
  readonly uiUrl: string;
  readonly port: number;
  readonly token: string;
  /** This run's id in the store (see `writeStoredReport`); undefined without a store. */
  readonly sessionId: string | undefined;
  /** The store file; undefined without a store. */
  readonly storePath: string | undefined;
  counters(): ProfilerCounters;
  /** The live state as the UI sees it. */
  state(): UiState;
  timeline(processId: string, taskId: string): ServerToUi;
  /**
   * Sampled CPU per source function of this run's processes, summed per (file, line) over the
   * windows that ended in the last `minutes` (default 5), busiest first. Also served as
   * `GET /api/cpu?token=…&minutes=5[&processId=…][&limit=…]`. Empty when no process samples
   * (CPU sampling runs only in processes exporting to a profiler; `FOX_CPU_SAMPLING=off` stops it).
   */
  cpuFunctions(query?: CpuFunctionQuery): CpuFunctionView[];
  /**
   * Relays an approval decision to the connected process that holds the proposal (for an
   * in-process host such as the editor; network clients send the `approval` message on `/ui`
   * with the token). `ok: false` with a reason when invalid or the process is not connected.
   */
  decide(processId: string, decision: ApprovalDecision): { ok: boolean; reason?: string };
  /**
   * The chaos kill switch, in-process (network clients send `chaos-kill` on `/ui` with the
   * token): relays a `chaos-kill` frame to one process, or to every connected process when
   * `processId` is omitted. `processes` is how many connections it went to.
   */
  killChaos(
    processId?: string,
    reason?: string,
  ): { ok: boolean; processes: number; reason?: string };
  /** Stops accepting, flushes the store, closes. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a profiler: exporters connect to `url`, browsers open `uiUrl`, UI clients connect to
 * `/ui` over WebSocket and get a state push every `pushIntervalMs` (only while connected).
 */
export async function startProfiler(options: ProfilerOptions = {}): Promise<Profiler> {
  const live = new LiveState();
  const cpu = new CpuProfileWindows();
  const ingest = emptyIngestCounters();
  const uiCounters = emptyUiChannelCounters();
  const onError = options.onError ?? (() => {});
  const storePath =
    options.storePath === false ? undefined : (options.storePath ?? DEFAULT_STORE_PATH);
  const sessionId = storePath === undefined ? undefined : ulid();
  const writer =
    storePath === undefined
      ? undefined
      : new BatchWriter({
          path: storePath,
          onError,
          onRowRejected: (processId) => live.rowRejected(processId),
          ...(sessionId === undefined ? {} : { sessionId }),
          ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
        });
  if (writer) preloadChaosReports(writer, live, onError);
  const uiClients = new Map<WebSocket, { selected?: { processId: string; taskId: string } }>();
  const exporters = new Map<string, WebSocket>();
  const relay = new ControlRelay(exporters, uiCounters);
  // Assigned once listening; the closures below run only after that.
  const holder: { collector?: Collector } = {};

  const collectorStats = (): CollectorStatsView => {
    const w = writer?.stats();
    return {
      framesAccepted: ingest.framesAccepted,
      framesRejected: rejectedTotal(ingest),
      spansStored: w?.spansStored ?? 0,
      spansDropped: w?.spansDropped ?? 0,
      connections: holder.collector?.counters().open ?? 0,
    };
  };
  const state = (): UiState => {
    const snapshot = live.snapshot(collectorStats());
    const hot = liveHotFunctions(
      cpu,
      snapshot.processes.map((p) => p.id),
    );
    return hot ? { ...snapshot, hotFunctions: hot } : snapshot;
  };
  const timeline = (processId: string, taskId: string): ServerToUi => ({
    type: 'spans',
    processId,
    taskId,
    spans: live.timeline(processId, taskId),
  });

  const send = (ws: WebSocket, message: ServerToUi | string): void => {
    // A UI that cannot keep up skips pushes rather than growing our memory.
    if (ws.readyState !== ws.OPEN || ws.bufferedAmount > 4 << 20) return;
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  };

  const serveUi = (ws: WebSocket): void => {
    const client: { selected?: { processId: string; taskId: string } } = {};
    uiClients.set(ws, client);
    ws.on('close', () => uiClients.delete(ws));
    // A flood of `ready` or `select` costs one snapshot or timeline per turn, not one each.
    const sendTimeline = coalesce(() => {
      if (client.selected) send(ws, timeline(client.selected.processId, client.selected.taskId));
    }, onError);
    const session: UiSession = {
      token: holder.collector?.token ?? '',
      relay,
      counters: uiCounters,
      budget: new ControlBudget(),
      isPendingProposal: (processId, proposalId) =>
        state().proposals?.some(
          (p) => p.processId === processId && p.proposalId === proposalId && p.state === 'pending',
        ) ?? false,
      reply: (m: ServerToUi) => send(ws, m),
      ready: coalesce(() => send(ws, { type: 'state', state: state() }), onError),
      select(processId: string, taskId: string) {
        client.selected = { processId, taskId };
        sendTimeline();
      },
      unselect: () => void delete client.selected,
    };
    ws.on('message', (data, isBinary) => {
      try {
        handleUiMessage(data, session, isBinary);
      } catch (err) {
        // Never expected (the channel validates everything); a UI bug must not stop the server.
        onError(err);
      }
    });
  };

  const collector = (holder.collector = await startCollector({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    // The page may stay silent for hours (the server pushes to it): kept alive by pings.
    isQuiet: (request) => pathOf(request) === '/ui',
    onRequest: (req, res) => void serveHttp(req, res),
    onConnection: (ws, request) => {
      if (pathOf(request) === '/ui') serveUi(ws);
      else
        serveExporter(ws, {
          live,
          writer,
          counters: ingest,
          connections: exporters,
          cpu,
          ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
          ...(options.bytesPerSecond === undefined
            ? {}
            : { bytesPerSecond: options.bytesPerSecond }),
        });
    },
  }).catch((err: unknown) => {
    // A taken port (say): the store opened above must not stay open behind the error.
    writer?.close();
    throw err;
  }));
  const token = collector.token;
  const base = `http://${collector.host.includes(':') ? `[${collector.host}]` : collector.host}:${collector.port}`;

  const pushTimer = setInterval(() => {
    if (uiClients.size === 0) return; // live views cost nothing when nobody looks
    const text = JSON.stringify({ type: 'state', state: state() } satisfies ServerToUi);
    for (const [ws, client] of uiClients) {
      send(ws, text);
      if (client.selected) send(ws, timeline(client.selected.processId, client.selected.taskId));
    }
  }, options.pushIntervalMs ?? 1000);
  pushTimer.unref();

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const authorised = tokenMatches(url.searchParams.get('token'), token);
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return reply(res, 405, 'text/plain', 'GET only\n');
      if (url.pathname === '/' || url.pathname === '/index.html') {
        if (!authorised)
          return reply(res, 401, 'text/plain', 'fox profiler: open the URL with its token\n');
        const nonce = randomBytes(16).toString('base64');
        res.setHeader(
          'content-security-policy',
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self'; img-src 'self' data:; ` +
            `connect-src 'self' ws://${url.host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        );
        return reply(res, 200, 'text/html; charset=utf-8', pageHtml(nonce, options.approver));
      }
      if (url.pathname === '/assets/fox-ui.js' || url.pathname === '/assets/fox-ui.css') {
        const assets = await loadUiAssets();
        const js = url.pathname.endsWith('.js');
        return reply(
          res,
          200,
          js ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
          js ? assets.js : assets.css,
        );
      }
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204);
        return void res.end();
      }
      if (url.pathname === '/api/cpu') {
        if (!authorised) return reply(res, 401, 'text/plain', 'token required\n');
        return reply(res, 200, 'application/json', JSON.stringify(cpu.functions(cpuQueryOf(url))));
      }
      if (url.pathname === '/api/flows' || url.pathname.startsWith('/api/flows/')) {
        if (!authorised) return reply(res, 401, 'text/plain', 'token required\n');
        return serveFlowRuns(url, res);
      }
      if (url.pathname === '/api/state') {
        if (!authorised) return reply(res, 401, 'text/plain', 'token required\n');
        return reply(res, 200, 'application/json', JSON.stringify(state()));
      }
      reply(res, 404, 'text/plain', 'not found\n');
    } catch (err) {
      onError(err);
      if (!res.headersSent) reply(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    }
  }

  /** `GET /api/flows[?limit=&processId=]` (summaries) and `GET /api/flows/<runId>` (a graph). */
  function serveFlowRuns(url: URL, res: ServerResponse): void {
    const rest = url.pathname.slice('/api/flows'.length);
    if (rest === '' || rest === '/') {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const processId = url.searchParams.get('processId') ?? undefined;
      const list = listFlowRuns(live, writer, Number.isFinite(limit) ? limit : 50, processId);
      return reply(res, 200, 'application/json', JSON.stringify(list));
    }
    let runId: string;
    try {
      runId = decodeURIComponent(rest.slice(1));
    } catch {
      return reply(res, 400, 'text/plain', 'bad run id\n');
    }
    const run = runId.length <= 512 ? findFlowRun(live, writer, runId) : undefined;
    if (!run) return reply(res, 404, 'text/plain', 'no such flow run\n');
    reply(res, 200, 'application/json', JSON.stringify(run));
  }

  let closing: Promise<void> | undefined;
  return {
    url: collector.url,
    uiUrl: `${base}/?token=${encodeURIComponent(token)}`,
    port: collector.port,
    token,
    sessionId,
    storePath,
    counters: () => ({
      ...ingest,
      rejected: { ...ingest.rejected },
      connections: collector.counters(),
      store: writer?.stats(),
      uiClients: uiClients.size,
      ui: { ...uiCounters, refused: { ...uiCounters.refused } },
    }),
    state,
    decide: (processId, decision) => relay.decide(processId, decision),
    killChaos: (processId, reason) => relay.killChaos(processId, reason),
    timeline,
    cpuFunctions: (query) => cpu.functions(query),
    close() {
      closing ??= (async () => {
        clearInterval(pushTimer);
        await collector.close();
        writer?.close();
      })();
      return closing;
    },
  };
}

function pathOf(request: IncomingMessage): string {
  try {
    return new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return '/';
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

/** Loads the last stored chaos reports into the live state (bad rows are skipped). */
function preloadChaosReports(writer: BatchWriter, live: LiveState, onError: (e: unknown) => void) {
  try {
    const since = Date.now() - writer.store.retentionMs();
    const reports = writer.tables.recentChaosReports(since, PRELOADED_CHAOS_REPORTS);
    for (const raw of reports.reverse()) {
      const r = WireChaosReportSchema.safeParse(raw);
      if (r.success) live.chaosReport({ processId: null, report: r.data });
    }
  } catch (err) {
    onError(err);
  }
}

function pageHtml(nonce: string, approver: string | undefined): string {
  const preset =
    approver === undefined
      ? ''
      : `<meta name="fox-approver" content="${escapeAttribute(approver.slice(0, 128))}">\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${preset}<title>Fox profiler</title>
<link rel="stylesheet" href="/assets/fox-ui.css">
</head>
<body>
<div id="fox-root"></div>
<script nonce="${nonce}" src="/assets/fox-ui.js"></script>
</body>
</html>
`;
}

function escapeAttribute(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** `/api/cpu`'s query string; malformed numbers fall back to the defaults. */
function cpuQueryOf(url: URL): CpuFunctionQuery {
  const number = (name: string): number | undefined => {
    const raw = url.searchParams.get(name);
    const n = raw === null ? NaN : Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const minutes = number('minutes');
  const limit = number('limit');
  const processId = url.searchParams.get('processId');
  return {
    ...(minutes === undefined ? {} : { minutes: Math.min(minutes, 24 * 60) }),
    ...(limit === undefined ? {} : { limit: Math.min(Math.floor(limit), 5000) }),
    ...(processId ? { processId } : {}),
  };
}
