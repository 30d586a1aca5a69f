import * as vscode from 'vscode';
import { startCollector } from '@fox/profiler';
import type { Collector } from '@fox/profiler';
import { withProfilerEnv } from './profiler-env.js';

/** Node debug types whose launch configurations get `FOX_PROFILER`. */
const NODE_DEBUG_TYPES = ['node', 'pwa-node', 'node-terminal'];

/**
 * Started on the first Node debug launch rather than at activation, so that editing TypeScript
 * without debugging never opens a port.
 */
let collector: Promise<Collector> | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const provider: vscode.DebugConfigurationProvider = {
    async resolveDebugConfigurationWithSubstitutedVariables(_folder, config) {
      if (config.request !== 'launch') return config;
      try {
        collector ??= startCollector();
        return withProfilerEnv(config, (await collector).url);
      } catch (err) {
        collector = undefined;
        const message = err instanceof Error ? err.message : String(err);
        void vscode.window.showWarningMessage(`Fox profiler could not start: ${message}`);
        return config; // debugging must never depend on the profiler
      }
    },
  };
  for (const type of NODE_DEBUG_TYPES) {
    context.subscriptions.push(vscode.debug.registerDebugConfigurationProvider(type, provider));
  }
}

export async function deactivate(): Promise<void> {
  const running = collector;
  collector = undefined;
  await (await running)?.close();
}
