import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './projects.js';

/**
 * The hand judgements, one TSV per kind, each row with a one-line reason read from the code:
 *
 * - judgements.tsv: `project rule location function verdict reason` — a finding (location is
 *   `file:line:column` relative to the project, function the analyser's function id); verdict
 *   `tp` (the advice is right for a Node service using this code) or `fp`;
 * - classifications.tsv: `project function kind verdict expected reason` — a function, the kind
 *   the analyser gave it when judged, `right`/`wrong`, and the kinds that would be right
 *   (`io`, `cpu/mixed`…), so the accuracy is recomputed when the analyser's answer changes;
 * - dangerous.tsv: `project location kind verdict reason` — a site the independent scan located,
 *   `dangerous` or `safe`.
 */

export type Row = Record<string, string>;

export function readTsv(name: string): Row[] {
  let text: string;
  try {
    text = readFileSync(join(benchDir, name), 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!.split('\t');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

/** Splits `file:line:column` (a file name may contain no colon here). */
export function parseLocation(location: string): { file: string; line: number; column: number } {
  const m = /^(.*):(\d+)(?::(\d+))?$/.exec(location);
  if (!m) return { file: location, line: 0, column: 0 };
  return { file: m[1]!, line: Number(m[2]), column: Number(m[3] ?? 0) };
}

export interface Keyed {
  project: string;
  rule: string;
  location: string;
  functionId: string;
}

/**
 * Finds a finding's judgement: the exact location and rule first; then the same rule, file and
 * line (the analyser moved the reported node within the line); then the same rule and function
 * when that function has exactly one judgement of the rule (the code is pinned, so a judged
 * function is the same function). The match kind is reported so loose matches can be re-checked.
 */
export class JudgementIndex {
  private readonly exact = new Map<string, Row>();
  private readonly byLine = new Map<string, Row>();
  private readonly byFunction = new Map<string, Row[]>();
  readonly used = new Set<Row>();

  constructor(readonly rows: Row[]) {
    for (const r of rows) {
      const { file, line } = parseLocation(r.location!);
      this.exact.set(`${r.project}\0${r.rule}\0${r.location}`, r);
      this.byLine.set(`${r.project}\0${r.rule}\0${file}:${line}`, r);
      if (r.function) {
        const k = `${r.project}\0${r.rule}\0${r.function}`;
        this.byFunction.set(k, [...(this.byFunction.get(k) ?? []), r]);
      }
    }
  }

  find(k: Keyed): { row: Row; match: 'exact' | 'line' | 'function' } | undefined {
    const { file, line } = parseLocation(k.location);
    const exact = this.exact.get(`${k.project}\0${k.rule}\0${k.location}`);
    const byLine = this.byLine.get(`${k.project}\0${k.rule}\0${file}:${line}`);
    const fn = this.byFunction.get(`${k.project}\0${k.rule}\0${k.functionId}`);
    const hit = exact
      ? { row: exact, match: 'exact' as const }
      : byLine
        ? { row: byLine, match: 'line' as const }
        : fn?.length === 1
          ? { row: fn[0]!, match: 'function' as const }
          : undefined;
    if (hit) this.used.add(hit.row);
    return hit;
  }
}
