import * as crypto from 'node:crypto';

/**
 * Canonical JSON (the RFC 8785 idea, restricted to what Fox writes): object keys sorted by code
 * unit, no whitespace, `undefined` members dropped, non-finite numbers refused. Two equal values
 * always give the same string, so hashes over it are stable across processes and versions.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (depth > 64) throw new TypeError('canonicalJson: value nested deeper than 64 levels');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      // Plain loops and string appends: this runs for every audit entry on a decision's path.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          if (i > 0) out += ',';
          out += v === undefined ? 'null' : write(v, depth + 1);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      // Default sort: by UTF-16 code unit, as the canonical form requires.
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += quote(k) + ':' + write(v, depth + 1);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}

/**
 * JSON.stringify of a string, without its cost for the ids and names that need no escaping:
 * only controls, `"`, `\\` and (lone) surrogates make JSON.stringify write anything but the
 * characters themselves.
 */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(s);
    }
  }
  return `"${s}"`;
}

/** One-shot hashing (Node ≥ 20.12) skips a Hash object per call; older Nodes use one. */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

/** Lower-case hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return oneShot
    ? oneShot('sha256', text, 'hex')
    : crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 of the canonical JSON of `payload`: what an approval is bound to. */
export function payloadHash(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}
