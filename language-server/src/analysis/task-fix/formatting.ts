import { ts } from 'ts-morph';
import type { TaskFixStyle } from '../fixes.js';

/**
 * Code a fix writes follows the file it goes into: indentation, quotes and semicolons are read
 * from the file, and re-indentation is the TypeScript formatter's (indentation only, so the
 * user's spacing inside lines is never touched).
 */

/** The file's conventions, read from its text. */
export interface FileStyle extends Omit<TaskFixStyle, 'multiline'> {
  tabs: boolean;
  indentSize: number;
  /** Longest line a fix may write: the file's own longest line, kept between 80 and 120. */
  maxLineLength: number;
  newLine: string;
}

const mostCommon = (counts: Map<number, number>, fallback: number): number => {
  let best = fallback;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && value < best)) {
      best = value;
      bestCount = count;
    }
  }
  return best;
};

/** Reads indentation (tabs or N spaces), quotes, semicolons and line length from `text`. */
export function detectStyle(text: string): FileStyle {
  const lines = text.split(/\r?\n/);
  let tabLines = 0;
  let spaceLines = 0;
  const steps = new Map<number, number>();
  let previous = 0;
  let semicolonEnds = 0;
  let bareEnds = 0;
  let longest = 0;
  for (const line of lines) {
    longest = Math.max(longest, line.length);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('*') || trimmed.startsWith('//')) continue;
    if (line.startsWith('\t')) tabLines++;
    else if (line.startsWith(' ')) spaceLines++;
    const width = /^ */.exec(line)?.[0].length ?? 0;
    const step = width - previous;
    if (step > 0 && !line.startsWith('\t')) steps.set(step, (steps.get(step) ?? 0) + 1);
    previous = width;
    if (trimmed.endsWith(';')) semicolonEnds++;
    else if (
      /[\w)\]'"`]$/.test(trimmed) &&
      !/^(if|for|while|else|\}|\.|case|default)\b/.test(trimmed)
    )
      bareEnds++;
  }
  const tabs = tabLines > spaceLines;
  const indentSize = tabs ? 4 : mostCommon(steps, 2);
  const singles = (text.match(/\bfrom '|\bimport '|require\('/g) ?? []).length;
  const doubles = (text.match(/\bfrom "|\bimport "|require\("/g) ?? []).length;
  return {
    tabs,
    indentSize,
    indentUnit: tabs ? '\t' : ' '.repeat(indentSize),
    quote: doubles > singles ? '"' : "'",
    // Statements ending without `;` and none with it: a no-semicolon file.
    semicolons: semicolonEnds > 0 || bareEnds === 0,
    maxLineLength: Math.min(120, Math.max(80, longest)),
    newLine: text.includes('\r\n') ? '\r\n' : '\n',
  };
}

/** Formatter settings that reproduce the file's indentation. */
export function formatSettings(style: FileStyle): ts.FormatCodeSettings {
  return {
    ...ts.getDefaultFormatCodeSettings(style.newLine),
    indentSize: style.indentSize,
    tabSize: style.indentSize,
    convertTabsToSpaces: !style.tabs,
    indentStyle: ts.IndentStyle.Smart,
    semicolons: ts.SemicolonPreference.Ignore,
  };
}

/** A language service over one in-memory file: formatting needs only its syntax. */
function singleFileService(path: string, text: string): ts.LanguageService {
  const snapshot = ts.ScriptSnapshot.fromString(text);
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => ({ target: ts.ScriptTarget.ES2022 }),
    getScriptFileNames: () => [path],
    getScriptVersion: () => '1',
    getScriptSnapshot: (p) => (p === path ? snapshot : undefined),
    getCurrentDirectory: () => '/',
    getDefaultLibFileName: () => 'lib.d.ts',
    fileExists: (p) => p === path,
    readFile: (p) => (p === path ? text : undefined),
  };
  return ts.createLanguageService(host);
}

/** Is the edit confined to a line's leading whitespace, and whitespace itself? */
function isIndentationEdit(text: string, edit: ts.TextChange): boolean {
  const { start, length } = edit.span;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  return /^[ \t]*$/.test(text.slice(lineStart, start + length)) && /^[ \t]*$/.test(edit.newText);
}

/**
 * `text` with the lines between `start` and `end` re-indented by the TypeScript formatter under
 * the file's settings; every other change the formatter would make is left out.
 */
export function reindent(
  path: string,
  text: string,
  start: number,
  end: number,
  style: FileStyle,
): string {
  const service = singleFileService(path, text);
  try {
    const changes = service
      .getFormattingEditsForRange(path, start, end, formatSettings(style))
      .filter((c) => isIndentationEdit(text, c))
      .sort((a, b) => b.span.start - a.span.start);
    let out = text;
    for (const c of changes)
      out = out.slice(0, c.span.start) + c.newText + out.slice(c.span.start + c.span.length);
    return out;
  } finally {
    service.dispose();
  }
}

/** Length of the longest line of `text` between `start` and `end`. */
export function longestLine(text: string, start: number, end: number): number {
  const from = text.lastIndexOf('\n', start - 1) + 1;
  const nextBreak = text.indexOf('\n', end);
  const to = nextBreak < 0 ? text.length : nextBreak;
  return Math.max(
    ...text
      .slice(from, to)
      .split('\n')
      .map((l) => l.replace(/\r$/, '').length),
  );
}
