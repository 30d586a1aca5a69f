import { globToRegexBody } from './glob.js';

/**
 * A `.gitignore` matcher for the folder walk: blank lines and `#` comments, `!` negation, a
 * trailing `/` for folders only, `/` inside a pattern anchoring it to the file's folder, and the
 * `*`, `?` and `**` wildcards. Paths are relative to that folder with `/` separators. The walk
 * never descends into an ignored folder, so a pattern only ever needs to match the path itself.
 */
export type IgnoreMatcher = (relPath: string, isDir: boolean) => boolean;

interface IgnoreRule {
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

export const NOTHING_IGNORED: IgnoreMatcher = () => false;

export function parseGitignore(text: string): IgnoreMatcher {
  const rules = text
    .split(/\r?\n/)
    .map(parseLine)
    .filter((r) => r !== undefined);
  if (rules.length === 0) return NOTHING_IGNORED;
  return (relPath, isDir) => {
    // The last matching rule wins, as in git.
    let ignored = false;
    for (const r of rules) if ((!r.dirOnly || isDir) && r.regex.test(relPath)) ignored = !r.negate;
    return ignored;
  };
}

function parseLine(raw: string): IgnoreRule | undefined {
  let line = raw.replace(/(?<!\\)\s+$/, '');
  if (line === '' || line.startsWith('#')) return undefined;
  const negate = line.startsWith('!');
  if (negate) line = line.slice(1);
  const dirOnly = line.endsWith('/');
  if (dirOnly) line = line.slice(0, -1);
  const anchored = line.includes('/');
  if (line.startsWith('/')) line = line.slice(1);
  if (line === '') return undefined;
  const body = globToRegexBody(line, { braces: false });
  return { regex: new RegExp(anchored ? `^${body}$` : `(?:^|/)${body}$`), negate, dirOnly };
}
