import { FoxDuplicateTaskError } from '../errors/errors.js';
import type { SourceLocation } from './call-site.js';
import type { Task } from './task.js';

/** Registered tasks by id. Ids must be unique; the error names both definitions. */
export class TaskRegistry {
  private readonly tasks = new Map<string, Task>();

  /**
   * Adds a task. The same definition evaluated again (same id and source position, e.g. a module
   * loaded through both its ESM and CJS entry, or re-imported by a test runner) replaces the
   * old one; a different definition with the same id is an error.
   */
  add(task: Task): Task | undefined {
    const existing = this.tasks.get(task.id);
    if (existing && !sameLocation(existing.location, task.location)) {
      throw new FoxDuplicateTaskError(task.id, where(existing.location), where(task.location));
    }
    this.tasks.set(task.id, task);
    return existing;
  }

  get(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  all(): Task[] {
    return [...this.tasks.values()];
  }

  clear(): void {
    this.tasks.clear();
  }
}

function sameLocation(a: SourceLocation | undefined, b: SourceLocation | undefined): boolean {
  return !!a && !!b && a.file === b.file && a.line === b.line && a.column === b.column;
}

function where(loc: SourceLocation | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.column}` : '<unknown location>';
}
