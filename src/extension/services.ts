// What every command handler gets: the engine host, the output channel, the tree, and helpers that turn a
// command's argument (tree node, hover/CodeLens link, or nothing = the cursor) into a target.
import * as vscode from 'vscode';
import type { GitOpsLog } from './log';
import type { App } from '../core/model';
import type { EngineHost } from './engineHost';
import type { ApplicationsTree, TreeNode } from './tree/applicationsTree';
import { targetOf } from './tree/applicationsTree';
import { resourceRef, type TargetArg } from './editor/format';
import type { DecorationManager } from './editor/decorations';

export interface Services {
  context: vscode.ExtensionContext;
  /** The engine: host.get() (may be undefined before start), host.ensureStarted(), host.report(),
   *  host.app(name), host.options() (kubeconfig/context/trusted as the engine uses them), host.heavy(). */
  host: EngineHost;
  output: GitOpsLog;
  tree: ApplicationsTree;
  treeView: vscode.TreeView<TreeNode>;
  decorations: DecorationManager;
  /** Tree node | TargetArg | undefined (-> the field under the cursor) -> target. */
  resolveTarget(arg: unknown): TargetArg | undefined;
  /** The app a command is about: from the argument, the cursor, or a quick pick. */
  pickApp(arg: unknown, placeHolder?: string): Promise<App | undefined>;
  /** Log an error in plain words and show it; for command handlers' catch blocks. */
  fail(what: string, err: unknown): void;
}

function isTreeNode(arg: unknown): arg is TreeNode {
  return !!arg && typeof arg === 'object' && 'type' in arg && 'id' in arg;
}

export function makeServices(parts: Omit<Services, 'resolveTarget' | 'pickApp' | 'fail'>): Services {
  const { host, output } = parts;
  const resolveTarget = (arg: unknown): TargetArg | undefined => {
    if (isTreeNode(arg)) return targetOf(arg);
    if (arg && typeof arg === 'object' && 'app' in arg) return arg as TargetArg;
    const editor = vscode.window.activeTextEditor;
    const engine = host.get();
    if (!editor || !engine) return undefined;
    const line = editor.selection.active.line + 1;
    const hit = engine.locate(editor.document.uri.fsPath, line);
    if (!hit) return undefined;
    return { app: hit.app.name, ref: resourceRef(hit.resource), pointer: hit.drift?.path ?? hit.pointer, file: editor.document.uri.fsPath, line };
  };
  const pickApp = async (arg: unknown, placeHolder = 'Application'): Promise<App | undefined> => {
    await host.ensureStarted();
    const target = resolveTarget(arg);
    if (target) return host.app(target.app);
    const apps = host.get()?.apps() ?? [];
    if (!apps.length) { void vscode.window.showWarningMessage('GitOps: no applications found in this workspace.'); return undefined; }
    if (apps.length === 1) return apps[0];
    const report = host.report();
    const picked = await vscode.window.showQuickPick(apps.map((a) => {
      const r = report?.apps.find((x) => x.name === a.name);
      return { label: a.name, description: r ? `${r.sync}${r.health ? ' · ' + r.health : ''}` : '', detail: a.path, app: a };
    }), { placeHolder });
    return picked?.app;
  };
  const fail = (what: string, err: unknown): void => {
    const message = err instanceof Error ? err.message : String(err);
    output.error(`${what}: ${message}`);
    void vscode.window.showErrorMessage(`GitOps: ${what}: ${message}`, 'Show Output').then((b) => { if (b) output.show(true); });
  };
  return { ...parts, resolveTarget, pickApp, fail };
}
