#!/usr/bin/env node
// Verifies a `fox audit export` (JSONL or CEF) on its own: plain Node (>= 18), no Fox code, so
// whoever receives the export (a SIEM pipeline, an auditor) can run it. See docs/audit-export.md.
//
//   node verify-export.mjs [--key-id KEYID] [--require-signed-tail] [--json] [FILE|-]
//
// Checks, for every line:
// - entries: sequence numbers consecutive; `prevHash` is the previous entry's `hash` (genesis,
//   64 zeros, before seq 1); `hash` = SHA-256 hex of `prevHash` + `entry`; `entry` is canonical
//   JSON (keys sorted, no spaces) whose seq, id, at, type (and data, in JSONL) match the line;
// - checkpoints: an Ed25519 signature, by the pinned key, over {"at","hash","seq","v":1}, naming
//   an exported entry whose hash it repeats;
// - the end: entries after the last valid checkpoint are an unsigned tail (at most 99 can be
//   legitimate; --require-signed-tail allows none).
// Exit 0: verified; 1: a problem (each names its line); 2: usage or unreadable input.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const GENESIS = '0'.repeat(64);
const CHECKPOINT_EVERY_ENTRIES = 100;
// SubjectPublicKeyInfo DER prefix of an Ed25519 key: the key id is the 32 raw bytes after it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function usage(message) {
  if (message) process.stderr.write(`verify-export: ${message}\n`);
  process.stderr.write(
    'usage: node verify-export.mjs [--key-id KEYID] [--require-signed-tail] [--json] [FILE|-]\n',
  );
  process.exit(2);
}

const args = process.argv.slice(2);
const opts = { keyId: undefined, requireSignedTail: false, json: false, file: '-' };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--key-id') opts.keyId = args[++i] ?? usage('--key-id needs a value');
  else if (a.startsWith('--key-id=')) opts.keyId = a.slice('--key-id='.length);
  else if (a === '--require-signed-tail') opts.requireSignedTail = true;
  else if (a === '--json') opts.json = true;
  else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('-') && a !== '-') usage(`unknown flag ${a}`);
  else opts.file = a;
}

let text;
try {
  text = readFileSync(opts.file === '-' ? 0 : opts.file, 'utf8');
} catch (err) {
  usage(`cannot read ${opts.file}: ${err.message}`);
}

/** Canonical JSON: keys sorted by UTF-16 code unit, no whitespace (what Fox hashes). */
function canonical(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v))
    return `[${v.map((x) => (x === undefined ? 'null' : canonical(x))).join(',')}]`;
  const keys = Object.keys(v)
    .filter((k) => v[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
}

const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex');

function keyFromId(keyId) {
  const raw = Buffer.from(keyId, 'base64url');
  if (raw.length !== 32) throw new Error(`key id ${keyId} is not a 32-byte Ed25519 public key`);
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
}

// ── CEF parsing (the inverse of Fox's escaping) ─────────────────────────────────────────────

function splitCefHeader(line) {
  const parts = [];
  let cur = '';
  let i = 0;
  for (; i < line.length && parts.length < 7; i++) {
    const c = line[i];
    if (c === '\\' && (line[i + 1] === '|' || line[i + 1] === '\\')) cur += line[++i];
    else if (c === '|') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (parts.length < 7) return undefined;
  return { header: parts, extension: line.slice(i) };
}

function parseCefExtension(ext) {
  // A key starts at the beginning or after a space and ends at an unescaped '='.
  const out = {};
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const starts = [];
  let m;
  while ((m = keyAt.exec(ext))) {
    // '=' escaped as '\=' never ends a key: skip matches whose '=' follows an odd run of '\'.
    let back = 0;
    for (let j = m.index + m[0].length - 2; j >= 0 && ext[j] === '\\'; j--) back++;
    if (back % 2 === 1) continue;
    let bs = 0;
    for (let j = m.index - 1; j >= 0 && ext[j] === '\\'; j--) bs++;
    if (m.index > 0 && bs % 2 === 1) continue;
    starts.push({ key: m[1], valueStart: m.index + m[0].length, at: m.index });
  }
  for (let k = 0; k < starts.length; k++) {
    const end = k + 1 < starts.length ? starts[k + 1].at : ext.length;
    out[starts[k].key] = unescapeValue(ext.slice(starts[k].valueStart, end));
  }
  return out;
}

function unescapeValue(v) {
  let s = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\' && i + 1 < v.length) {
      const n = v[++i];
      s += n === 'n' ? '\n' : n === 'r' ? '\r' : n;
    } else s += v[i];
  }
  return s;
}

function labelled(ext, prefix) {
  const byLabel = {};
  for (let n = 1; n <= 6; n++) {
    const label = ext[`${prefix}${n}Label`];
    if (label !== undefined) byLabel[label] = ext[`${prefix}${n}`];
  }
  return byLabel;
}

function recordFromCef(line) {
  const parsed = splitCefHeader(line);
  if (!parsed || parsed.header[0] !== 'CEF:0') throw new Error('not a CEF:0 line');
  const sigId = parsed.header[4];
  const ext = parseCefExtension(parsed.extension);
  const cs = labelled(ext, 'cs');
  const cn = labelled(ext, 'cn');
  const num = (v) => (v === undefined ? undefined : Number(v));
  if (sigId === 'fox-audit-export') {
    return {
      kind: 'fox-audit-export',
      version: num(cn.version),
      keyId: cs.keyId ?? '',
      afterSeq: num(cn.afterSeq),
    };
  }
  if (sigId === 'audit:checkpoint') {
    return {
      kind: 'checkpoint',
      seq: num(cn.seq),
      hash: cs.hash,
      at: num(ext.rt),
      keyId: cs.keyId,
      sig: cs.signature,
    };
  }
  if (sigId.startsWith('audit:')) {
    return {
      kind: 'entry',
      seq: num(cn.seq),
      id: ext.externalId,
      at: num(ext.rt),
      type: sigId.slice('audit:'.length),
      prevHash: cs.prevHash,
      hash: cs.hash,
      entry: ext.msg,
      // What SIEM searches read: each must be what the hashed entry says.
      searchable: { proposalId: cs.proposalId, taskId: cs.taskId, suser: ext.suser, act: ext.act },
    };
  }
  throw new Error(`unknown signature id ${sigId}`);
}

// ── verification ────────────────────────────────────────────────────────────────────────────

const problems = [];
const report = (line, seq, problem) => problems.push({ line, seq, problem });
const lines = text.split('\n');
if (lines.at(-1) === '') lines.pop();

let header;
let key;
let expectSeq;
let prevHash;
let lastSeq;
let entries = 0;
let checkpoints = 0;
let signedTo;
let firstPrevHash;
const hashes = new Map();
const anchorCheckpoints = [];

for (let i = 0; i < lines.length; i++) {
  const n = i + 1;
  const raw = lines[i];
  let r;
  try {
    r = raw.startsWith('CEF:') ? recordFromCef(raw) : JSON.parse(raw);
  } catch (err) {
    report(n, null, `unreadable line: ${err.message}`);
    continue;
  }
  if (i === 0) {
    if (r?.kind !== 'fox-audit-export' || r.version !== 1) {
      report(n, null, 'the first line is not a fox-audit-export version 1 header');
      break;
    }
    header = r;
    const keyId = opts.keyId ?? header.keyId;
    if (opts.keyId && header.keyId && opts.keyId !== header.keyId) {
      report(n, null, `the export names key ${header.keyId}, not the pinned ${opts.keyId}`);
    }
    try {
      if (keyId) key = keyFromId(keyId);
    } catch (err) {
      report(n, null, err.message);
    }
    expectSeq = header.afterSeq + 1;
    prevHash = header.afterSeq === 0 ? GENESIS : undefined;
    signedTo = header.afterSeq;
    continue;
  }
  if (r?.kind === 'entry') {
    entries++;
    const seq = r.seq;
    if (seq !== expectSeq) report(n, seq, `expected seq ${expectSeq}, found ${seq}`);
    expectSeq = (Number.isInteger(seq) ? seq : expectSeq) + 1;
    if (firstPrevHash === undefined) firstPrevHash = r.prevHash;
    if (prevHash !== undefined && r.prevHash !== prevHash) {
      report(n, seq, 'prevHash does not link to the previous entry');
    }
    if (typeof r.entry !== 'string' || sha256(String(r.prevHash) + r.entry) !== r.hash) {
      report(n, seq, 'hash does not match the entry');
    }
    let e;
    try {
      e = JSON.parse(r.entry);
    } catch {
      report(n, seq, 'entry is not valid JSON');
    }
    if (e !== undefined) {
      if (canonical(e) !== r.entry) report(n, seq, 'entry is not canonical JSON');
      if (e.seq !== seq || e.id !== r.id || e.at !== r.at || e.type !== r.type) {
        report(n, seq, "the line's fields disagree with the hashed entry");
      } else if ('data' in r && canonical(e.data ?? {}) !== canonical(r.data)) {
        report(n, seq, "the line's data disagrees with the hashed entry");
      } else if (r.searchable) {
        const d = e.data ?? {};
        const str = (k) => (typeof d[k] === 'string' && d[k] !== '' ? d[k] : undefined);
        const expected = {
          proposalId: str('proposalId'),
          taskId: str('taskId'),
          suser: str('approver') ?? str('by') ?? str('proposer'),
          act: str('decision') ?? e.type,
        };
        const field = Object.keys(expected).find(
          (k) => (r.searchable[k] || undefined) !== expected[k],
        );
        if (field) report(n, seq, `the line's ${field} disagrees with the hashed entry`);
      }
    }
    hashes.set(seq, r.hash);
    prevHash = r.hash;
    lastSeq = seq;
  } else if (r?.kind === 'checkpoint') {
    checkpoints++;
    const message = canonical({ seq: r.seq, hash: r.hash, at: r.at, v: 1 });
    let valid = false;
    try {
      valid =
        !!key &&
        verify(null, Buffer.from(message, 'utf8'), key, Buffer.from(String(r.sig), 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) {
      report(
        n,
        r.seq,
        key ? 'checkpoint signature is invalid' : 'no key to check the checkpoint with',
      );
      continue;
    }
    if (r.seq === header.afterSeq && header.afterSeq > 0) {
      anchorCheckpoints.push({ n, c: r });
      continue;
    }
    const h = hashes.get(r.seq);
    if (h === undefined)
      report(n, r.seq, `checkpoint covers seq ${r.seq}, which the export does not hold before it`);
    else if (h !== r.hash) report(n, r.seq, 'checkpoint hash differs from the entry (rewritten)');
    else signedTo = Math.max(signedTo, r.seq);
  } else {
    report(n, null, `unknown record kind ${JSON.stringify(r?.kind)}`);
  }
}
for (const { n, c } of anchorCheckpoints) {
  if (firstPrevHash !== undefined && firstPrevHash !== c.hash) {
    report(n, c.seq, "checkpoint at the export's start differs from the first entry's prevHash");
  }
}
if (!header && lines.length === 0) report(0, null, 'empty export');
const unsignedTail = lastSeq === undefined ? 0 : Math.max(0, lastSeq - signedTo);
if (unsignedTail >= CHECKPOINT_EVERY_ENTRIES) {
  report(
    lines.length,
    null,
    `${unsignedTail} entries after the last valid checkpoint: checkpoints are missing`,
  );
} else if (opts.requireSignedTail && unsignedTail > 0) {
  report(lines.length, null, `${unsignedTail} entries after the last checkpoint are not signed`);
}
const result = {
  ok: problems.length === 0,
  entries,
  checkpoints,
  signedThroughSeq: signedTo ?? 0,
  unsignedTail,
  keyId: opts.keyId ?? header?.keyId ?? '',
  keyPinned: !!opts.keyId,
  problems,
};
if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
else {
  process.stdout.write(
    `${result.ok ? 'OK' : 'FAILED'}: ${entries} entries, ${checkpoints} checkpoints, ` +
      `signed through seq ${result.signedThroughSeq}, ${unsignedTail} unsigned after it\n`,
  );
  if (!opts.keyId)
    process.stdout.write(`  key ${result.keyId || '(none)'} (not pinned: pass --key-id)\n`);
  for (const p of problems)
    process.stdout.write(
      `  line ${p.line}${p.seq != null ? ` (seq ${p.seq})` : ''}: ${p.problem}\n`,
    );
}
process.exit(result.ok ? 0 : 1);
