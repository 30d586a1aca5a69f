import type { Finding } from './types.js';

/** One finding per rule and node: the rule, the file and the node's range. */
export function findingKey(f: Finding): string {
  const { start, end } = f.range;
  return `${f.rule}\0${f.path}\0${start.line}:${start.character}-${end.line}:${end.character}`;
}

/**
 * Drops repeats of a finding, keeping the first: a guarantee over every rule that the user sees
 * one finding per rule and node (FOX004 once reported an await once per enclosing loop; it now
 * stops at nested loops itself).
 */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = findingKey(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
