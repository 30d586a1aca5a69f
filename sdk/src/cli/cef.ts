import type { ExportRecord } from './audit-export.js';

/**
 * ArcSight Common Event Format (CEF:0), the line format most SIEMs ingest:
 * `CEF:0|Vendor|Product|Version|Signature ID|Name|Severity|key=value …`.
 *
 * Escaping follows the CEF spec: in the header, `\` and `|`; in extension values, `\`, `=`
 * and line breaks (`\n`, `\r`). Keys are fixed ASCII words. With this escaping the canonical
 * entry in `msg` comes back byte for byte, so a receiver can verify the chain from CEF too.
 */
export function cefHeaderEscape(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

export function cefValueEscape(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r\n|\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

const PRODUCT = ['Fox', 'Fox Guardian', '1'];

/** How much an entry type matters to a SOC (0–10). */
const SEVERITY: Record<string, number> = {
  proposal: 3,
  decision: 4,
  approval: 5,
  rejection: 5,
  applied: 5,
  'apply-failed': 7,
  chaos: 6,
  checkpoint: 1,
};

function line(
  signatureId: string,
  name: string,
  severity: number,
  ext: [string, unknown][],
): string {
  const header = [...PRODUCT, signatureId, name, String(severity)].map(cefHeaderEscape).join('|');
  const extension = ext
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${cefValueEscape(String(v))}`)
    .join(' ');
  return `CEF:0|${header}|${extension}`;
}

/** One export record as one CEF line. */
export function toCef(r: ExportRecord): string {
  switch (r.kind) {
    case 'fox-audit-export':
      return line('fox-audit-export', 'Fox audit export', 1, [
        ['rt', r.exportedAt],
        ['cs1Label', 'keyId'],
        ['cs1', r.keyId],
        ['cn1Label', 'afterSeq'],
        ['cn1', r.afterSeq],
        ['cn2Label', 'version'],
        ['cn2', r.version],
      ]);
    case 'entry': {
      const d = r.data;
      const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
      return line(`audit:${r.type}`, `Fox guardian ${r.type}`, SEVERITY[r.type] ?? 3, [
        ['rt', r.at],
        ['externalId', r.id],
        ['cn1Label', 'seq'],
        ['cn1', r.seq],
        ['cs1Label', 'hash'],
        ['cs1', r.hash],
        ['cs2Label', 'prevHash'],
        ['cs2', r.prevHash],
        ['cs3Label', 'proposalId'],
        ['cs3', str('proposalId')],
        ['cs4Label', 'taskId'],
        ['cs4', str('taskId')],
        ['suser', str('approver') ?? str('by') ?? str('proposer')],
        ['act', str('decision') ?? r.type],
        ['msg', r.entry],
      ]);
    }
    case 'checkpoint':
      return line('audit:checkpoint', 'Fox audit checkpoint', SEVERITY['checkpoint']!, [
        ['rt', r.at],
        ['cn1Label', 'seq'],
        ['cn1', r.seq],
        ['cs1Label', 'hash'],
        ['cs1', r.hash],
        ['cs5Label', 'keyId'],
        ['cs5', r.keyId],
        ['cs6Label', 'signature'],
        ['cs6', r.sig],
      ]);
  }
}
