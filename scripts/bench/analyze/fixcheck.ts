import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits } from '../../../language-server/src/analysis/fixes.js';
import type { FoxAnalyzer } from '../../../language-server/src/analysis/project.js';
import type { Finding, QuickFix, TextEdit } from '../../../language-server/src/analysis/types.js';
import type { Installed } from './projects.js';
import { root } from './projects.js';
import { OverlayProgram, checkerOptions, diagnosticKey, formatDiagnostic } from './tsc.js';

/** `FoxAnalyzer.resolveFix`, being added elsewhere: a fix's complete cross-file edit set. */
interface FixResolver {
  resolveFix(
    finding: Finding,
    fix: QuickFix,
  ): { edits: { path: string; edits: TextEdit[] }[] } | { unavailable: string };
}

const hasResolver = (a: unknown): a is FixResolver =>
  typeof (a as Partial<FixResolver>).resolveFix === 'function';

export interface FixCheck {
  offered: number;
  applied: number;
  unavailable: string[];
  /** Fixes that added type errors, with the first new error. */
  failing: string[];
  newErrors: number;
  baselineErrors: number;
  resolver: boolean;
}

export function typeRootsOf(inst: Installed): string[] {
  return [
    ...inst.packageDirs.map((d) => join(d, 'node_modules', '@types')),
    join(root, 'node_modules', '@types'),
  ].filter((d) => existsSync(d));
}

/**
 * Applies every offered fix, one at a time, to an in-memory copy of the project and counts the
 * type errors (syntactic and semantic) of the edited files that the untouched project does not
 * have. Errors are compared as (file, code, message) multisets, so a baseline error that moved
 * lines is not new.
 */
export function checkFixes(
  inst: Installed,
  analyzer: FoxAnalyzer,
  findings: readonly Finding[],
): FixCheck {
  const out: FixCheck = {
    offered: 0,
    applied: 0,
    unavailable: [],
    failing: [],
    newErrors: 0,
    baselineErrors: 0,
    resolver: hasResolver(analyzer),
  };
  const withFixes = findings.filter((f) => f.fixes.length > 0);
  // The fixes import @fox/sdk: resolved to this repo's built declarations, as for a user who
  // installed it.
  const overlay = new OverlayProgram(inst.files, {
    ...checkerOptions(typeRootsOf(inst)),
    paths: { '@fox/sdk': [join(root, 'sdk', 'dist', 'types', 'index.d.ts')] },
  });
  const count = (keys: string[]) => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  const baselineErrors = overlay.errors();
  out.baselineErrors = baselineErrors.length;
  if (withFixes.length === 0) return out;
  const baseline = count(baselineErrors.map(diagnosticKey));
  for (const finding of withFixes) {
    for (const fix of finding.fixes) {
      out.offered++;
      const resolved = hasResolver(analyzer)
        ? analyzer.resolveFix(finding, fix)
        : { edits: [{ path: fix.path, edits: fix.edits }] };
      const label = `${finding.rule} ${finding.file}:${finding.line} "${fix.title}"`;
      if ('unavailable' in resolved) {
        out.unavailable.push(`${label}: ${resolved.unavailable}`);
        continue;
      }
      const paths = resolved.edits.map((e) => e.path);
      try {
        for (const e of resolved.edits)
          overlay.set(e.path, applyEdits(overlay.text(e.path), e.edits));
        out.applied++;
        const after = overlay.errors(paths);
        const before = new Map(
          [...baseline].filter(([k]) => paths.some((p) => k.startsWith(`${p}\0`))),
        );
        const fresh = after.filter((d) => {
          const k = diagnosticKey(d);
          const n = before.get(k) ?? 0;
          if (n > 0) {
            before.set(k, n - 1);
            return false;
          }
          return true;
        });
        if (fresh.length > 0) {
          out.newErrors += fresh.length;
          out.failing.push(`${label}: +${fresh.length} (${formatDiagnostic(fresh[0]!)})`);
        }
      } finally {
        for (const p of paths) overlay.set(p, undefined);
      }
    }
  }
  return out;
}
