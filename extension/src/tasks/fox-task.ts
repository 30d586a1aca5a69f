import { isAbsolute, join } from 'node:path';
import { PROFILER_ENV_VAR } from '../profiler-env.js';

/**
 * The `fox` task type: a shell command run with `FOX_PROFILER` pointing at the extension's
 * profiler (started when the task runs). Pure definitions only, so they are tested without
 * VS Code; `fox-task-provider.ts` is the editor side.
 *
 * @example tasks.json
 * { "type": "fox", "command": "node src/app.mjs", "label": "app (profiled)" }
 */
export const FOX_TASK_TYPE = 'fox';

export interface FoxTaskDefinition {
  type: typeof FOX_TASK_TYPE;
  /** Shell command line, e.g. `node src/app.mjs` or `npm start`. */
  command: string;
  /** Working directory, absolute or relative to the workspace folder. Default: the folder. */
  cwd?: string;
  /** Extra environment variables; a `FOX_PROFILER` here wins over the extension's. */
  env?: Record<string, string>;
}

/** A `fox` task definition that cannot be run, with the property at fault. */
export class FoxTaskDefinitionError extends Error {
  readonly code = 'FOX_TASK_DEFINITION';
  constructor(
    readonly property: string,
    message: string,
  ) {
    super(`fox task: ${property}: ${message}`);
    this.name = 'FoxTaskDefinitionError';
  }
}

export function isFoxTaskDefinitionError(err: unknown): err is FoxTaskDefinitionError {
  return err instanceof FoxTaskDefinitionError;
}

/**
 * Checks a definition from tasks.json (any JSON a user wrote). Unknown properties are ignored:
 * VS Code itself adds some (`label`, `problemMatcher`, …) to the same object.
 * Throws {@link FoxTaskDefinitionError}.
 */
export function parseFoxTaskDefinition(input: unknown): FoxTaskDefinition {
  if (typeof input !== 'object' || input === null) {
    throw new FoxTaskDefinitionError('(definition)', 'expected an object');
  }
  const { type, command, cwd, env } = input as Record<string, unknown>;
  if (type !== FOX_TASK_TYPE) throw new FoxTaskDefinitionError('type', `expected "fox"`);
  if (typeof command !== 'string' || command.trim().length === 0) {
    throw new FoxTaskDefinitionError('command', 'expected a non-empty command line');
  }
  if (cwd !== undefined && (typeof cwd !== 'string' || cwd.length === 0)) {
    throw new FoxTaskDefinitionError('cwd', 'expected a non-empty path');
  }
  if (env !== undefined) {
    if (typeof env !== 'object' || env === null || Array.isArray(env)) {
      throw new FoxTaskDefinitionError('env', 'expected an object of strings');
    }
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== 'string') throw new FoxTaskDefinitionError(`env.${k}`, 'expected a string');
    }
  }
  return {
    type: FOX_TASK_TYPE,
    command,
    ...(cwd === undefined ? {} : { cwd: cwd as string }),
    ...(env === undefined ? {} : { env: { ...(env as Record<string, string>) } }),
  };
}

/**
 * One profiled task per script of a package.json (`npm run <script>`), in the file's order.
 * A file that is not JSON, or has no scripts, offers none.
 */
export function scriptTaskDefinitions(packageJson: string): FoxTaskDefinition[] {
  let scripts: unknown;
  try {
    scripts = (JSON.parse(packageJson) as { scripts?: unknown }).scripts;
  } catch {
    return [];
  }
  if (typeof scripts !== 'object' || scripts === null) return [];
  return Object.entries(scripts)
    .filter(([name, body]) => typeof body === 'string' && /^[\w:.@/+-]+$/.test(name))
    .map(([name]) => ({ type: FOX_TASK_TYPE, command: `npm run ${name}` }));
}

/** The name shown in the task picker: the command line. */
export function foxTaskName(definition: FoxTaskDefinition): string {
  return definition.command;
}

/** Where the command runs: the definition's `cwd` against the workspace folder. */
export function foxTaskCwd(definition: FoxTaskDefinition, folder: string): string {
  if (!definition.cwd) return folder;
  return isAbsolute(definition.cwd) ? definition.cwd : join(folder, definition.cwd);
}

/**
 * The environment of the command: the editor's, the definition's `env`, and `FOX_PROFILER` —
 * unless the definition names `FOX_PROFILER` itself (its value wins, as in debug launches), or
 * no profiler runs (`url` undefined).
 */
export function foxTaskEnv(
  base: Readonly<Record<string, string | undefined>>,
  definition: FoxTaskDefinition,
  url: string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  if (url !== undefined) env[PROFILER_ENV_VAR] = url;
  Object.assign(env, definition.env);
  return env;
}
