import type { z } from 'zod';
import { FoxConfigError } from './errors.js';

/**
 * Parses user options with a zod schema, or throws FoxConfigError naming the first bad option's
 * full path (`prefix` + the issue's path; an unknown key is named itself, so `{ retires: 3 }`
 * reports option 'retires').
 */
export function parseOptions<T extends z.ZodType>(
  schema: T,
  value: unknown,
  prefix: readonly (string | number)[] = [],
  taskId?: string,
): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path: (string | number)[] = [...prefix];
  for (const p of issue.path) path.push(typeof p === 'number' ? p : String(p));
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path.push(issue.keys[0]!);
    message = `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  throw new FoxConfigError(path, message, taskId);
}
