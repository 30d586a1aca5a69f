/**
 * Time limits and bounds that keep slow, silent or stalled clients from holding the collector's
 * sockets. Every value is in milliseconds except the two counts.
 */
export interface CollectorLimits {
  /**
   * A plain HTTP request or WebSocket upgrade must have sent its complete headers this long
   * after the connection opened (or after the previous request on a kept-alive socket): covers
   * clients that connect and say nothing, and clients that send headers a byte at a time.
   * Default 10 000.
   */
  headersTimeoutMs: number;
  /** The whole request, headers and body, within this. At least `headersTimeoutMs`. Default 30 000. */
  requestTimeoutMs: number;
  /** A kept-alive HTTP socket with no next request is closed after this. Default 5000. */
  keepAliveTimeoutMs: number;
  /**
   * An authenticated exporter connection must send its first frame (the sdk sends its hello
   * right after the handshake) within this. Default 10 000.
   */
  helloTimeoutMs: number;
  /**
   * An exporter connection that sends no frame for this long is dropped. The sdk sends an
   * aggregates frame every interval (1 s by default, at most 60 s by configuration), so the
   * default of 120 000 is twice the longest interval: a live program is never cut off.
   */
  idleTimeoutMs: number;
  /**
   * Quiet connections (the live UI, which may send nothing for hours while the server pushes
   * to it) are pinged this often and dropped when the previous ping went unanswered, so a
   * dead or stalled UI is let go within two intervals. Default 15 000.
   */
  pingIntervalMs: number;
  /**
   * Sockets that have not completed a first request are capped at this many; over it the
   * oldest is closed, so a crowd of idle sockets cannot lock out real clients. Default 64.
   */
  maxIdleSockets: number;
  /** Open TCP connections of any kind; more are refused at accept. Default 1024. */
  maxConnections: number;
}

export const DEFAULT_COLLECTOR_LIMITS: Readonly<CollectorLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  helloTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  pingIntervalMs: 15_000,
  maxIdleSockets: 64,
  maxConnections: 1024,
});

/**
 * Fills in the defaults and checks every value: a positive integer. Throws a `RangeError`
 * naming the option otherwise (a zero would silently switch a limit off).
 */
export function resolveLimits(given: Partial<CollectorLimits> = {}): CollectorLimits {
  const limits = { ...DEFAULT_COLLECTOR_LIMITS };
  for (const key of Object.keys(DEFAULT_COLLECTOR_LIMITS) as (keyof CollectorLimits)[]) {
    const value = given[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`The fox collector limit '${key}' must be a positive integer`);
    }
    limits[key] = value;
  }
  // Node refuses a headers timeout above the request timeout.
  limits.requestTimeoutMs = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  return limits;
}

/** Connections the collector cut off or refused because of a limit, by limit. */
export interface CutCounters {
  /** HTTP requests (or upgrades) whose headers or body did not arrive in time. */
  requestTimeout: number;
  /** Exporter connections that sent no first frame within `helloTimeoutMs`. */
  noHello: number;
  /** Exporter connections silent for `idleTimeoutMs`. */
  idle: number;
  /** Quiet (UI) connections that did not answer a ping. */
  noPong: number;
  /** Idle sockets closed to stay within `maxIdleSockets`. */
  evicted: number;
  /** Connections refused at accept for `maxConnections`. */
  overLimit: number;
  /** WebSocket connections closed for a protocol error (bad UTF-8, oversized frame, …). */
  protocolError: number;
}

export function emptyCutCounters(): CutCounters {
  return {
    requestTimeout: 0,
    noHello: 0,
    idle: 0,
    noPong: 0,
    evicted: 0,
    overLimit: 0,
    protocolError: 0,
  };
}
