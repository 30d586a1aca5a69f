/**
 * The class member that a decorator call decorates, read from source: for a `@fox({ … })`
 * whose `fox` is at `offset`, skips the call's arguments, any further decorators and the
 * member's modifiers, and returns the member's name (`place`, `#secret`). Undefined when the
 * text does not read that way (a computed name, a decorator applied by hand). Used to name the
 * task in an error raised before the decorator is applied.
 */
export function decoratedMemberAt(source: string, offset: number): string | undefined {
  const open = source.indexOf('(', offset);
  if (open < 0) return undefined;
  const end = closingParen(source, open);
  if (end < 0) return undefined;
  return MEMBER.exec(stripComments(source.slice(end + 1, end + 2001)))?.[1];
}

const MEMBER = new RegExp(
  String.raw`^\s*(?:@[\w$.]+\s*(?:\([^()]*\))?\s*)*` +
    String.raw`(?:(?:public|private|protected|static|async|override|readonly|accessor)\s+)*` +
    String.raw`\*?\s*(#?[A-Za-z_$][\w$]*)\s*[(<]`,
);

/** Index of the `)` that closes the `(` at `open`, skipping strings and comments; -1 if none. */
function closingParen(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < source.length && source[i] !== c; i++) if (source[i] === '\\') i++;
    } else if (c === '/' && source[i + 1] === '/') {
      i = source.indexOf('\n', i);
      if (i < 0) return -1;
    } else if (c === '/' && source[i + 1] === '*') {
      i = source.indexOf('*/', i + 2);
      if (i < 0) return -1;
      i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth === 0) return c === ')' ? i : -1;
    }
  }
  return -1;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(?:\*\/|$)|\/\/[^\n]*/g, ' ');
}
