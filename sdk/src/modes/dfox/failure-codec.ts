import { DFOX_FAILURE_PREFIX } from '../../protocol/dfox-job.js';
import { reviveError, type SerializedError } from '../tfox/revive-error.js';
import { serializeError } from '../tfox/worker/serialize-error.js';

/**
 * A failed job's reason as text BullMQ stores (`failedReason`): the error serialized like a
 * tfox worker's, so the caller gets the same class, code and fields back.
 */
export function encodeFailure(err: unknown): string {
  let data: SerializedError = serializeError(err);
  let text: string;
  try {
    text = JSON.stringify(data);
  } catch {
    // A field that clones but does not JSON-encode (a BigInt): keep what always encodes.
    const e = data;
    data = { name: e.name, message: e.message, stack: e.stack, fox: e.fox, builtin: e.builtin };
    if (e.props && typeof e.props['code'] === 'string') data.props = { code: e.props['code'] };
    text = JSON.stringify(data);
  }
  return DFOX_FAILURE_PREFIX + text;
}

/**
 * The error a failed job stands for: the worker's error re-created, or (a reason BullMQ wrote
 * itself, or an undecodable one) `undefined`.
 */
export function decodeFailure(reason: string): unknown {
  if (!reason.startsWith(DFOX_FAILURE_PREFIX)) return undefined;
  try {
    return reviveError(JSON.parse(reason.slice(DFOX_FAILURE_PREFIX.length)));
  } catch {
    return undefined;
  }
}
