import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson, sha256Hex } from '../../src/guardian/canonical-json.js';

/**
 * The reference, written for obviousness: keys sorted by code unit, each member written with
 * JSON.stringify. (Rebuilding a sorted object would not do: JS puts integer-like keys first.)
 */
function reference(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The same object with its keys inserted in reverse order. */
function reversedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedDeep);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).reverse()) {
      out[k] = reversedDeep((v as Record<string, unknown>)[k]);
    }
    return out;
  }
  return v;
}

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

describe('canonical JSON (what audit hashes and approvals are bound to)', () => {
  it('property: keys sorted by code unit at every level, whatever their order; round-trips', () => {
    fc.assert(
      fc.property(
        // Any UTF-16 code unit: lone surrogates, controls, quotes, backslashes in keys and values.
        fc.oneof(fc.jsonValue({ stringUnit: anyCodeUnit }), fc.jsonValue()),
        (v) => {
          const text = canonicalJson(v);
          assert.equal(text, reference(v));
          assert.equal(canonicalJson(reversedDeep(v)), text);
          assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(v)));
        },
      ),
      { numRuns: 1000, seed: 5 },
    );
  });

  it('drops undefined members, writes undefined array items as null, refuses what JSON cannot hold', () => {
    assert.equal(canonicalJson({ b: 1, a: undefined, c: [undefined, 2] }), '{"b":1,"c":[null,2]}');
    assert.throws(() => canonicalJson({ x: NaN }), /non-finite/);
    assert.throws(() => canonicalJson([Infinity]), /non-finite/);
    assert.throws(() => canonicalJson({ f: () => 1 }), /cannot encode a function/);
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    assert.throws(() => canonicalJson(deep), /deeper than 64/);
  });

  it('hashes UTF-8 with SHA-256, lower-case hex', () => {
    for (const s of ['', 'fox', 'é🦊\u0000']) {
      assert.equal(sha256Hex(s), createHash('sha256').update(s, 'utf8').digest('hex'));
    }
  });
});
