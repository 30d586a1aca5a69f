import * as vscode from 'vscode';
import type { ProposalBook, ProposalItem } from './proposal-book.js';

export const APPROVALS_VIEW_ID = 'fox.approvals';

/** The approvals tree: pending proposals first, decided ones below until they scroll away. */
export class ApprovalsTree implements vscode.TreeDataProvider<ProposalItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ProposalItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly book: ProposalBook) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(element?: ProposalItem): ProposalItem[] {
    if (element) return [];
    const all = this.book.all();
    const open = (p: ProposalItem): boolean => p.state === 'pending' && !p.localDecision;
    return [...all.filter(open), ...all.filter((p) => !open(p)).slice(0, 20)];
  }

  getTreeItem(p: ProposalItem): vscode.TreeItem {
    const item = new vscode.TreeItem(p.summary, vscode.TreeItemCollapsibleState.None);
    item.id = p.id;
    const waiting = p.state === 'pending' && !p.localDecision;
    const shown = p.localDecision
      ? `${p.localDecision === 'approve' ? 'approved' : 'rejected'} here, awaiting the process`
      : p.state;
    const repeated = p.repeats ? ` · proposed ${p.repeats + 1}×` : '';
    item.description = `${p.taskId ? `${p.taskId} · ` : ''}${shown}${repeated}`;
    item.contextValue = waiting ? 'proposal-pending' : 'proposal-decided';
    item.iconPath = new vscode.ThemeIcon(
      waiting
        ? 'question'
        : p.state === 'applied' || p.state === 'approved'
          ? 'pass'
          : p.state === 'pending'
            ? 'loading~spin'
            : 'circle-slash',
    );
    item.tooltip = new vscode.MarkdownString(
      `**${p.summary}**\n\nproposal \`${p.id}\` · process \`${p.processId}\`\n\n` +
        `state: ${shown} · ${new Date(p.at).toLocaleString()}`,
    );
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
