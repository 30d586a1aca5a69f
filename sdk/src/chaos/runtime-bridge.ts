import { existsSync, readFileSync } from 'node:fs';
import { parseExperiment, ChaosExperimentError, type Experiment } from './experiment.js';

/** Env var `fox chaos run` sets for the child: a path to the experiment JSON (or the JSON). */
export const CHAOS_ENV = 'FOX_CHAOS';

/**
 * Reads the experiment named by `FOX_CHAOS`. Returns undefined when unset, and an error (never
 * a partial experiment) when the file is unreachable or the JSON is invalid: the runtime then
 * logs it and injects nothing.
 */
export function experimentFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { experiment: Experiment } | { error: ChaosExperimentError } | undefined {
  const value = env[CHAOS_ENV];
  if (value === undefined || value === '') return undefined;
  try {
    let text = value;
    if (!value.trimStart().startsWith('{')) {
      if (!existsSync(value)) throw new ChaosExperimentError(`${CHAOS_ENV}: no file ${value}`);
      text = readFileSync(value, 'utf8');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ChaosExperimentError(`${CHAOS_ENV}: not JSON: ${(err as Error).message}`);
    }
    return { experiment: parseExperiment(json) };
  } catch (err) {
    return {
      error:
        err instanceof ChaosExperimentError
          ? err
          : new ChaosExperimentError(`${CHAOS_ENV}: ${(err as Error).message}`),
    };
  }
}
