/**
 * A glob as the body of a RegExp over `/`-separated relative paths: `**` spans folders (and
 * `**\/` may match none), `*` and `?` stay within one segment, `{a,b}` is alternation and `\`
 * escapes the next character. Enough for path conventions and `.gitignore` lines (which have no
 * braces: pass `braces: false`); no dependency for it (Node 20 has no `path.matchesGlob`).
 * Callers anchor it.
 */
export function globToRegexBody(glob: string, { braces = true } = {}): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      out += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) out += escapeRegex(glob[++i]!);
    else if (c === '{' && braces) {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += escapeRegex(c);
  }
  return out;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
