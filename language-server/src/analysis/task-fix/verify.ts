import { ts, type Project } from 'ts-morph';

/**
 * The last word on a fix: apply it to the project in memory, type-check the files it touches or
 * that reference what it changed, and put the text back. A fix that adds one diagnostic there is
 * not offered, whatever the structural checks before concluded.
 */

/** Separates the parts of a diagnostic's key (never in a path or a message). */
const SEP = '\u0000';

/** Diagnostics of `paths`, counted by file, code and message (positions move with the edits). */
function diagnosticCounts(project: Project, paths: readonly string[]): Map<string, number> {
  const program = project.getProgram().compilerObject;
  const counts = new Map<string, number>();
  for (const path of paths) {
    const sf = program.getSourceFile(path);
    if (!sf) continue;
    const all = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of all) {
      const key = [path, `TS${d.code}`, ts.flattenDiagnosticMessageText(d.messageText, ' ')].join(
        SEP,
      );
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * The first diagnostic that replacing the texts in `changes` (path → new text) would add to
 * `watched` (the changed files are always watched), or undefined when there is none. The
 * project's texts are restored before returning, even on a throw.
 */
export function addedDiagnostic(
  project: Project,
  changes: ReadonlyMap<string, string>,
  watched: readonly string[],
  /** Replaces a file's text (the analyser's, so its caches follow). */
  setText: (path: string, text: string) => void,
  /** A declaration file present during the check only (see `sdkStandIn`). */
  standIn?: { path: string; text: string },
): string | undefined {
  const paths = [...new Set([...changes.keys(), ...watched])];
  const added = standIn ? project.createSourceFile(standIn.path, standIn.text) : undefined;
  const originals = new Map<string, string>();
  try {
    const before = diagnosticCounts(project, paths);
    for (const [path, text] of changes) {
      const sf = project.getSourceFileOrThrow(path);
      originals.set(path, sf.getFullText());
      setText(path, text);
    }
    const after = diagnosticCounts(project, paths);
    for (const [key, count] of after) {
      if (count > (before.get(key) ?? 0)) {
        const [path, code, message] = key.split(SEP);
        return `${code} in ${path}: ${message}`;
      }
    }
    return undefined;
  } finally {
    for (const [path, text] of originals) setText(path, text);
    if (added) project.removeSourceFile(added);
  }
}
