import * as vscode from 'vscode';
import {
  FOX_TASK_TYPE,
  foxTaskCwd,
  foxTaskName,
  parseFoxTaskDefinition,
  scriptTaskDefinitions,
  type FoxTaskDefinition,
} from './fox-task.js';
import { ProfiledRun } from './profiled-run.js';

/**
 * Tasks of type `fox`: the workspace's npm scripts, and any `{ "type": "fox", "command": … }`
 * in tasks.json, run with `FOX_PROFILER` set. The profiler starts when such a task runs, never
 * when tasks are only listed. The logic lives in `fox-task.ts` and `profiled-run.ts`.
 */
export class FoxTaskProvider implements vscode.TaskProvider {
  constructor(
    private readonly profilerUrl: () => Promise<string>,
    private readonly warn: (message: string) => void,
  ) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      let text: string;
      try {
        const uri = vscode.Uri.joinPath(folder.uri, 'package.json');
        text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      } catch {
        continue;
      }
      for (const d of scriptTaskDefinitions(text)) tasks.push(this.task(d, folder));
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    let definition: FoxTaskDefinition;
    try {
      definition = parseFoxTaskDefinition(task.definition);
    } catch (err) {
      this.warn(err instanceof Error ? err.message : String(err));
      return undefined;
    }
    // VS Code matches the resolved task to the tasks.json entry by its definition object.
    return this.task(definition, task.scope, task.definition, task.name);
  }

  private task(
    definition: FoxTaskDefinition,
    scope: vscode.Task['scope'],
    original: vscode.TaskDefinition = definition,
    name = foxTaskName(definition),
  ): vscode.Task {
    const folder = typeof scope === 'object' ? scope.uri.fsPath : undefined;
    const execution = new vscode.CustomExecution(async (resolved) => {
      // Variables (${workspaceFolder}, …) are substituted in `resolved`.
      const d = parseFoxTaskDefinition({ ...resolved, type: FOX_TASK_TYPE });
      const root = folder ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
      return pseudoterminal(
        new ProfiledRun({ definition: d, cwd: foxTaskCwd(d, root), profilerUrl: this.profilerUrl }),
      );
    });
    // No problem matchers, declared as such: a task without the declaration makes VS Code ask
    // which matcher should "scan the task output" before every run.
    const task = new vscode.Task(
      original,
      scope ?? vscode.TaskScope.Workspace,
      name,
      FOX_TASK_TYPE,
      execution,
      [],
    );
    task.detail = `${definition.command} with the Fox profiler`;
    return task;
  }
}

function pseudoterminal(run: ProfiledRun): vscode.Pseudoterminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number>();
  const sink = { write: (t: string) => write.fire(t), close: (code: number) => close.fire(code) };
  return {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => void run.open(sink),
    handleInput: (data) => run.input(data, sink),
    close: () => {
      run.stop();
      write.dispose();
      close.dispose();
    },
  };
}
