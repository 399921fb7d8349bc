// Placeholder owned by G (git workflows, issue 6): replace the body of registerGitCommands with the real
// gitops.bumpImageTag / gitops.revertCommit / gitops.rollbackApp handlers. extension.ts calls it once,
// in the one registration place; push every disposable onto context.subscriptions.
import * as vscode from 'vscode';
import type { Services } from '../services';

export function registerGitCommands(context: vscode.ExtensionContext, services: Services): void {
  for (const id of ['gitops.bumpImageTag', 'gitops.revertCommit', 'gitops.rollbackApp']) {
    context.subscriptions.push(vscode.commands.registerCommand(id, () => {
      services.output.warn(`${id} is not available in this build yet`);
      void vscode.window.showInformationMessage(`GitOps: ${id} is not available in this build yet.`);
    }));
  }
}
