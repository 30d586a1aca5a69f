/**
 * The vault: every resilience pattern Fox implements and every execution strategy, with the
 * safe defaults its implementation uses (a test checks they match the option schemas) and an
 * example that compiles (a test type-checks each against the sdk sources).
 */
import type { Pattern } from './pattern.js';
import { POLICY_PATTERNS } from './policy-patterns.js';
import { STRATEGY_PATTERNS } from './strategy-patterns.js';

export const PATTERNS: readonly Pattern[] = [...POLICY_PATTERNS, ...STRATEGY_PATTERNS];
