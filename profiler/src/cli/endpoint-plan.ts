import {
  endpointFileOf,
  isProcessAlive,
  readEndpoint,
  writeEndpoint,
  type SavedEndpoint,
} from './endpoint-file.js';

/** Where a `fox profile` run should listen, and what it should tell the user about it. */
export interface EndpointPlan {
  /** Port to try first; undefined for a random one. */
  port: number | undefined;
  token: string | undefined;
  /** The saved endpoint of a dead `fox profile` this run takes over, if any. */
  reused: SavedEndpoint | undefined;
  /** The endpoint file this run keeps up to date; undefined when it has none to keep. */
  file: string | undefined;
  /** Lines for stderr, each a complete sentence. */
  notes: string[];
}

export interface EndpointRequest {
  /** The store (the endpoint file lives beside it); `false`: no store, no endpoint file. */
  storePath: string | false;
  /** `--port`, when given. */
  port?: number;
  /** `--token`, when given. */
  token?: string;
}

/**
 * Decides where to listen. Explicit `--port`/`--token` come first. Otherwise, when the store
 * has an endpoint file whose `fox profile` is gone, its token and port are reused, so that the
 * programs it left running (they retry their `FOX_PROFILER` URL for ever) reconnect here. An
 * endpoint whose `fox profile` still serves is left alone: this run listens elsewhere.
 */
export async function planEndpoint(request: EndpointRequest): Promise<EndpointPlan> {
  const plan: EndpointPlan = {
    port: request.port,
    token: request.token,
    reused: undefined,
    file: request.storePath === false ? undefined : endpointFileOf(request.storePath),
    notes: [],
  };
  if (plan.file === undefined) return plan;
  const saved = readEndpoint(plan.file);
  if (saved === 'not private' || saved === 'malformed') {
    plan.notes.push(`fox profile: ignoring ${plan.file}: ${saved}; it will be replaced`);
    return plan;
  }
  if (saved === 'missing') return plan;
  if (await isServing(saved)) {
    plan.notes.push(
      `fox profile: another fox profile (pid ${saved.pid}) is serving this store; ` +
        'starting on a separate endpoint',
    );
    plan.file = undefined;
    return plan;
  }
  if (request.token !== undefined && request.token !== saved.token) return plan;
  plan.reused = saved;
  plan.token = saved.token;
  plan.port ??= saved.port;
  plan.notes.push(
    `fox profile: re-using the endpoint of a previous fox profile (pid ${saved.pid}) ` +
      'so its programs reconnect',
  );
  return plan;
}

/**
 * Records where this run listens, unless another live `fox profile` wrote the file since the
 * plan was made (two starting at once): then it is theirs. Returns whether it was written.
 */
export function saveEndpoint(plan: EndpointPlan, endpoint: SavedEndpoint): boolean {
  if (plan.file === undefined) return false;
  const now = readEndpoint(plan.file);
  if (typeof now === 'object' && now.pid !== plan.reused?.pid && isProcessAlive(now.pid)) {
    return false;
  }
  writeEndpoint(plan.file, endpoint);
  return true;
}

/**
 * Whether a `fox profile` still answers at a saved endpoint. The pid alone is not enough: after
 * a reboot it may belong to any process, so the endpoint itself is asked, with its token.
 */
async function isServing(saved: SavedEndpoint): Promise<boolean> {
  if (!isProcessAlive(saved.pid)) return false;
  try {
    const res = await fetch(
      `http://127.0.0.1:${saved.port}/api/state?token=${encodeURIComponent(saved.token)}`,
      { signal: AbortSignal.timeout(2000) },
    );
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
