import { parseTaskId } from '@fox/sdk/task-id';

/**
 * Where a task's source is, from what is known about it: the location a running process
 * reported, or else the task id itself (`<path relative to the project root>#<name>`).
 */
export interface TaskLocation {
  /** Relative to the project root, forward slashes. */
  file: string;
  /** 1-based; 0 when only the file is known. */
  line: number;
  column: number;
}

/**
 * The 0-based line and column where `name` is declared in `text` (a function, a method, or a
 * `const name = …` binding), or undefined. A text search is enough to reveal a task when no
 * process has reported its location; the analyser would be overkill here.
 */
export function findDeclaration(
  text: string,
  name: string,
): { line: number; column: number } | undefined {
  const member = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
  const id = member.replace(/[$]/g, '\\$');
  const patterns = [
    new RegExp(`\\bfunction\\s*\\*?\\s*(${id})\\s*[<(]`),
    new RegExp(`\\b(?:const|let|var)\\s+(${id})\\s*[=:]`),
    new RegExp(
      `^\\s*(?:(?:public|private|protected|static|async|override|readonly)\\s+)*\\*?(${id})\\s*[<(]`,
    ),
  ];
  const lines = text.split(/\r?\n/);
  for (const pattern of patterns) {
    for (let i = 0; i < lines.length; i++) {
      const m = pattern.exec(lines[i] ?? '');
      if (m?.[1] !== undefined) return { line: i, column: m.index + m[0].indexOf(m[1]) };
    }
  }
  return undefined;
}

/** Reported location wins; else the id's file (line 0, to be refined by `findDeclaration`). */
export function taskLocation(
  id: string,
  reported: TaskLocation | null | undefined,
): TaskLocation | undefined {
  if (reported && reported.file) return reported;
  const parsed = parseTaskId(id);
  return parsed ? { file: parsed.file, line: 0, column: 0 } : undefined;
}
