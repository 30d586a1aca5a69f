/** Task id globs are shared by chaos (experiment targets) and the guardian (policy rules); they
 * live next to the task ids they match so that neither of those layers imports the other. */
/** Compiled globs: the guardian's policy matches its rules' globs on every decision. */
const compiled = new Map<string, (taskId: string) => boolean>();
const MAX_COMPILED = 256;

/**
 * Task id globs: `*` matches any run of characters except `/` and `#`, `**` any run at all,
 * `?` one character. `src/api.ts#*` is every export of one file; `**#resize` every `resize`.
 */
export function taskGlob(pattern: string): (taskId: string) => boolean {
  let match = compiled.get(pattern);
  if (!match) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, (match = compile(pattern)));
  }
  return match;
}

function compile(pattern: string): (taskId: string) => boolean {
  if (!/[*?]/.test(pattern)) return (id) => id === pattern;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/#]*';
    } else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const rx = new RegExp(`^${re}$`);
  return (id) => rx.test(id);
}

/** True when `taskId` matches any of the ids or globs. */
export function taskMatcher(patterns: readonly string[]): (taskId: string) => boolean {
  const tests = patterns.map(taskGlob);
  return (id) => tests.some((t) => t(id));
}
