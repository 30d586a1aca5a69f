import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FoxRemoteRefusedError, moduleHash } from '../../modes/dfox/index.js';
import { staticHint } from '../../modes/auto/index.js';
import { parseTaskId } from '../../protocol/task-id.js';
import type { Task } from '../../task/task.js';
import { FOX_ORIGINAL, FOX_TASK } from '../fox.js';

/** A task a worker can run: the user's function, its `this`, and the hash of the loaded code. */
export interface JobTarget {
  taskId: string;
  fn: (...args: unknown[]) => unknown;
  self: unknown;
  /** SHA-256 of the module as it was when this worker imported it. */
  hash: string;
  /** The task as this process registered it (its options, its tfox strategy). */
  task: Task;
  /** Where the worker runs it: on its event loop, or on its tfox pool (CPU-heavy tasks). */
  run: 'direct' | 'tfox';
}

/**
 * Finds tasks by task id under one project root, the way every Fox part names them
 * (`<path relative to the root>#<export>`), so the same code deployed at different paths on
 * different machines resolves alike. Refuses, with a typed reason and before importing
 * anything, a path that leaves the root (`..`, absolute, a symlink pointing out) and code whose
 * hash is not the caller's. Only fox functions are reachable: an export that is not one is
 * not found, so a job cannot call an arbitrary function of a module.
 */
export class JobTargets {
  private readonly realRoot: string;
  private readonly loaded = new Map<string, Promise<JobTarget>>();

  constructor(root: string) {
    this.realRoot = realpathSync(resolve(root));
  }

  get root(): string {
    return this.realRoot;
  }

  /** The target of `taskId`, checked against the caller's `hash`. */
  async resolve(taskId: string, hash: string): Promise<JobTarget> {
    let pending = this.loaded.get(taskId);
    if (!pending) {
      const file = this.fileOf(taskId);
      // Checked before importing: a module of another version never runs its top-level code.
      this.checkHash(taskId, moduleHash(file), hash);
      pending = this.load(taskId, file);
      this.loaded.set(taskId, pending);
      // A failed load is retried by the next job (the file may be deployed by then).
      pending.catch(() => this.loaded.delete(taskId));
    }
    const target = await pending;
    this.checkHash(taskId, target.hash, hash);
    return target;
  }

  private checkHash(taskId: string, mine: string, callers: string): void {
    if (mine === callers) return;
    throw new FoxRemoteRefusedError(
      taskId,
      'hash-mismatch',
      `the worker has another version of ${parseTaskId(taskId)?.file} ` +
        `(worker ${mine.slice(0, 12)}, caller ${callers.slice(0, 12)}); deploy the same code`,
    );
  }

  private async load(taskId: string, file: string): Promise<JobTarget> {
    // The hash of the bytes imported now: later edits on disk do not change the loaded code.
    const hash = moduleHash(file);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new FoxRemoteRefusedError(taskId, 'not-found', `importing the module failed: ${why}`);
    }
    const name = parseTaskId(taskId)!.name;
    const path = name.split('.');
    let self: unknown;
    let value: unknown = mod;
    for (const key of path) {
      self = value;
      value =
        value !== null && (typeof value === 'object' || typeof value === 'function')
          ? (value as Record<string, unknown>)[key]
          : undefined;
    }
    const original =
      typeof value === 'function'
        ? (value as { [FOX_ORIGINAL]?: unknown })[FOX_ORIGINAL]
        : undefined;
    const task =
      typeof value === 'function' ? (value as { [FOX_TASK]?: Task })[FOX_TASK] : undefined;
    if (typeof original !== 'function' || !task) {
      throw new FoxRemoteRefusedError(
        taskId,
        'not-found',
        `the module does not export a fox function at '${name}'`,
      );
    }
    return {
      taskId,
      fn: original as (...args: unknown[]) => unknown,
      self: path.length > 1 ? self : undefined,
      hash,
      task,
      run:
        task.options.queue?.run ??
        (staticHint(this.realRoot, taskId) === 'tfox' ? 'tfox' : 'direct'),
    };
  }

  /** The absolute file of a task id, inside the root; refuses ids that would leave it. */
  private fileOf(taskId: string): string {
    const parts = parseTaskId(taskId);
    if (!parts)
      throw new FoxRemoteRefusedError(taskId, 'malformed', 'not a <file>#<export> task id');
    const file = parts.file;
    if (isAbsolute(file) || /^[a-z]:/i.test(file) || file.includes('\\') || file.includes('\0')) {
      throw new FoxRemoteRefusedError(taskId, 'outside-root', `'${file}' is not a relative path`);
    }
    const candidate = resolve(this.realRoot, file);
    if (!isInside(this.realRoot, candidate)) {
      throw new FoxRemoteRefusedError(taskId, 'outside-root', `'${file}' leaves the worker's root`);
    }
    if (!existsSync(candidate)) {
      throw new FoxRemoteRefusedError(taskId, 'not-found', `no ${file} under ${this.realRoot}`);
    }
    // A symlink inside the root may point out of it.
    const real = realpathSync(candidate);
    if (!isInside(this.realRoot, real)) {
      throw new FoxRemoteRefusedError(
        taskId,
        'outside-root',
        `'${file}' is a link to ${real}, outside the worker's root`,
      );
    }
    return real;
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}
