/**
 * The analyser cannot load the project it was pointed at: a tsconfig that does not exist or does
 * not parse. The CLI exits 2 on it, like on a bad config.
 */
export class ProjectLoadError extends Error {
  readonly code = 'FOX_PROJECT_LOAD';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ProjectLoadError';
  }
}

export function isProjectLoadError(e: unknown): e is ProjectLoadError {
  return e instanceof ProjectLoadError;
}
