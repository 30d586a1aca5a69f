/**
 * The one reading and writing of a task id, `<file>#<name>`, shared by the sdk, the analyser, the
 * profiler's UI and the editor. It has no imports: browser bundles take it from its own entry,
 * `@fox/sdk/task-id` (`@fox/sdk/protocol` has it too, with the zod schemas).
 *
 * Both halves may hold a `#`: a name can be a private method (`Orders.#place`) or a route
 * (`GET /docs#intro`), and a folder can be called `c#`. So the separator is the first `#` whose
 * left side ends in a file name with an extension (`.ts`, `.mjs`, …); an id with none of those
 * (an `id` option such as `orders#place`) splits at its first `#`.
 *
 * ```ts
 * parseTaskId('src/routes/users.ts#POST /users'); // { file: 'src/routes/users.ts', name: 'POST /users' }
 * formatTaskId('src\\images.ts', 'resize');        // 'src/images.ts#resize'
 * ```
 */

/** The two halves of a task id. */
export interface TaskIdParts {
  /** The source file, relative to the project root (forward slashes when the sdk made it). */
  file: string;
  /** The exported name, `Class.method`, or the handler's registration (`POST /users`). */
  name: string;
}

/** A file name with an extension at the end of a path: `a.ts`, `dir/b.test.mjs`. */
const ENDS_IN_FILE_WITH_EXTENSION = /(?:^|[\\/])[^\\/]*[^\\/.]\.[A-Za-z0-9]+$/;

/**
 * The file and name of a task id, or undefined when it is not `<file>#<name>` (no `#`, or an
 * empty side): an `id` option may be any string.
 */
export function parseTaskId(id: string): TaskIdParts | undefined {
  let first = -1;
  for (let hash = id.indexOf('#', 1); hash > 0; hash = id.indexOf('#', hash + 1)) {
    if (hash === id.length - 1) break;
    if (first < 0) first = hash;
    if (ENDS_IN_FILE_WITH_EXTENSION.test(id.slice(0, hash))) return split(id, hash);
  }
  return first < 0 ? undefined : split(id, first);
}

function split(id: string, hash: number): TaskIdParts {
  return { file: id.slice(0, hash), name: id.slice(hash + 1) };
}

/**
 * The task id of `name` in `file` (a path relative to the project root; Windows separators
 * become `/`, as in the ids the sdk and the analyser compute).
 */
export function formatTaskId(file: string, name: string): string {
  return `${file.replace(/\\/g, '/')}#${name}`;
}
