/**
 * How a debug session learns where the profiler listens: the extension puts the collector's
 * address in the `FOX_PROFILER` environment variable of the debuggee, and the sdk's exporter
 * connects to it. Pure functions only, so they are tested without VS Code.
 */

/** The environment variable the sdk reads. */
export const PROFILER_ENV_VAR = 'FOX_PROFILER';

/** Debug types of VS Code's JavaScript debugger whose launch configurations take an `env`. */
const NODE_DEBUG_TYPES = new Set(['node', 'pwa-node', 'node-terminal']);

export interface ProfilerEndpoint {
  /** Loopback address. Default `127.0.0.1`. */
  host?: string;
  port: number;
  token: string;
}

/** The subset of a debug configuration this module reads and writes. */
export interface DebugConfigurationLike {
  type: string;
  request: string;
  /** `null` values unset a variable in the debuggee (VS Code's JavaScript debugger semantics). */
  env?: Record<string, string | null>;
}

/**
 * `ws://127.0.0.1:PORT?token=…`, the value of `FOX_PROFILER`.
 *
 * @example
 * profilerUrl({ port: 41234, token: 'abc' }); // 'ws://127.0.0.1:41234?token=abc'
 */
export function profilerUrl(endpoint: ProfilerEndpoint): string {
  const host = endpoint.host ?? '127.0.0.1';
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) {
    throw new RangeError(`profiler port must be an integer in 1..65535, got ${endpoint.port}`);
  }
  if (endpoint.token.length === 0) throw new RangeError('profiler token must not be empty');
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `ws://${urlHost}:${endpoint.port}?token=${encodeURIComponent(endpoint.token)}`;
}

/**
 * Returns `config` with `FOX_PROFILER` added to its `env`, or `config` itself when nothing should
 * change: a configuration that is not a Node launch (attach requests cannot set the debuggee's
 * environment), or one whose `env` already names `FOX_PROFILER` — a user's own value, or `null`
 * to opt out, always wins. Never mutates its argument.
 */
export function withProfilerEnv<T extends DebugConfigurationLike>(
  config: T,
  url: string,
): T & Pick<DebugConfigurationLike, 'env'> {
  if (!NODE_DEBUG_TYPES.has(config.type) || config.request !== 'launch') return config;
  if (config.env && Object.prototype.hasOwnProperty.call(config.env, PROFILER_ENV_VAR)) {
    return config;
  }
  return { ...config, env: { ...config.env, [PROFILER_ENV_VAR]: url } };
}
