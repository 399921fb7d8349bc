// activate(): the ONE place where every command, view and provider is registered. Activation stays light:
// nothing here loads client-node or the engine; EngineHost requires dist/engine.cjs on first use, which is
// scheduled right after activation returns.
import * as vscode from 'vscode';
import { EngineHost } from './engineHost';
import { ApplicationsTree, type TreeNode } from './tree/applicationsTree';
import { DecorationManager, isYamlDocument, type AppliedMark } from './editor/decorations';
import { DriftHoverProvider } from './editor/hover';
import { DriftCodeActions, DriftDiagnostics } from './editor/diagnostics';
import { DriftCodeLens } from './editor/codeLens';
import { DESIRED_SCHEME, LIVE_SCHEME, LiveDiffContent } from './editor/liveDiff';
import { GitOpsStatusBar } from './statusBar';
import { makeServices, type Services } from './services';
import { registerCoreCommands } from './commands/coreCommands';
import { registerSandboxCommand, stopSandbox } from './commands/sandbox';
import { registerGitCommands } from './commands/gitCommands';
import { heavyLoaded } from './engineLoader';
import { createLog } from './log';
import type { DriftReport } from '../core/model';
import { skippedFolderName } from '../core/folders';

/** Returned by activate() for the in-host tests (and other extensions, should they ever care). */
export interface GitOpsApi {
  activationMs: number;
  /** Whether dist/engine.cjs was loaded by the end of activate() (it must not be). */
  engineLoadedAtActivation: boolean;
  services: Services;
  report(): DriftReport | undefined;
  /** Starts the engine if needed and resolves with the report once the host is not starting. */
  ready(): Promise<DriftReport | undefined>;
  decorationsFor(uri: vscode.Uri): AppliedMark[];
  lastDecorationUpdateMs(): number;
  treeSnapshot(): { id: string; label: string; description?: string }[];
  /** The last lines of the GitOps output channel. */
  log(): string[];
  /** Time the last hover took inside the provider (ms). */
  lastHoverMs(): number;
  /** Stop the sandbox started by "Start Sandbox Demo" (tests; deactivate does it too). */
  stopSandbox(): void;
}

const YAML_SELECTOR: vscode.DocumentSelector = [{ language: 'yaml', scheme: 'file' }, { scheme: 'file', pattern: '**/*.{yaml,yml}' }];
/** Wait this long after the last keystroke before re-rendering from the unsaved buffer. */
const EDIT_DEBOUNCE_MS = 150;

export function activate(context: vscode.ExtensionContext): GitOpsApi {
  const began = performance.now();
  const output = createLog();
  const host = new EngineHost(output);
  const tree = new ApplicationsTree(host);
  const treeView = vscode.window.createTreeView<TreeNode>('gitops.applications', { treeDataProvider: tree, showCollapseAll: true });
  const decorations = new DecorationManager(host, vscode.Uri.joinPath(context.extensionUri, 'media'));
  const index = () => decorations.driftIndex();
  const diagnostics = new DriftDiagnostics(host, index);
  const statusBar = new GitOpsStatusBar(host);
  const hover = new DriftHoverProvider(host);
  const services = makeServices({ context, host, output, tree, treeView, decorations });
  const restrictedMessage = () => {
    treeView.message = vscode.workspace.isTrusted ? undefined
      : 'Restricted mode: plain YAML only. Helm and Kustomize are not run and kubeconfig exec plugins are off until you trust this workspace.';
    void vscode.commands.executeCommand('setContext', 'gitops.restricted', !vscode.workspace.isTrusted);
  };
  restrictedMessage();

  context.subscriptions.push(
    output, host, treeView, decorations, diagnostics, statusBar,
    vscode.workspace.onDidGrantWorkspaceTrust(restrictedMessage),
    vscode.languages.registerHoverProvider(YAML_SELECTOR, hover),
    vscode.languages.registerCodeActionsProvider(YAML_SELECTOR, new DriftCodeActions(index), { providedCodeActionKinds: DriftCodeActions.kinds }),
    vscode.languages.registerCodeLensProvider(YAML_SELECTOR, new DriftCodeLens(host, index)),
    vscode.workspace.registerTextDocumentContentProvider(LIVE_SCHEME, new LiveDiffContent(host, LIVE_SCHEME)),
    vscode.workspace.registerTextDocumentContentProvider(DESIRED_SCHEME, new LiveDiffContent(host, DESIRED_SCHEME)),
    host.onDidChange((r) => {
      const n = r?.apps.filter((a) => a.sync === 'OutOfSync').length ?? 0;
      treeView.badge = n ? { value: n, tooltip: `${n} application(s) OutOfSync` } : undefined;
    }),
  );
  registerEditTracking(context, host);
  registerCoreCommands(context, services);
  registerSandboxCommand(context, services);
  // G's git workflow commands (bumpImageTag, revertCommit, rollbackApp): registered here, implemented there.
  registerGitCommands(context, services);

  void vscode.commands.executeCommand('setContext', 'gitops.state', 'starting');
  // First use of the engine happens after activation returns, so activation parses nothing heavy.
  const startTimer = setTimeout(() => void host.ensureStarted(), 0);
  context.subscriptions.push({ dispose: () => clearTimeout(startTimer) });

  const activationMs = performance.now() - began;
  output.info(`activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    engineLoadedAtActivation: heavyLoaded(),
    services,
    report: () => host.report(),
    ready: async () => { await host.ensureStarted(); return host.report(); },
    decorationsFor: (uri) => decorations.decorationsFor(uri),
    lastDecorationUpdateMs: () => decorations.lastUpdateMs,
    treeSnapshot: () => tree.snapshot(),
    log: () => output.recent(),
    stopSandbox,
    lastHoverMs: () => hover.lastMs,
  };
}

/** Unsaved edits re-render from the buffer (debounced); saves, closes and outside changes from disk. */
function registerEditTracking(context: vscode.ExtensionContext, host: EngineHost): void {
  const timers = new Map<string, NodeJS.Timeout>();
  const inWorkspace = (doc: vscode.TextDocument) => isYamlDocument(doc) && !!vscode.workspace.getWorkspaceFolder(doc.uri);
  const soon = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      void host.fileChanged(doc.uri.fsPath, doc.getText());
    }, EDIT_DEBOUNCE_MS));
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml,tpl,json}');
  const fromDisk = (uri: vscode.Uri) => {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) return; // the buffer wins while it is being edited
    void host.fileChanged(uri.fsPath);
  };
  // On Linux VS Code's file watcher (@parcel/watcher) misses files created in a folder right after the
  // folder itself (mkdir -p, git pull, git checkout: parcel-bundler/watcher#97, microsoft/vscode#142694),
  // and a folder moved in is reported alone: a new folder holding manifests goes to the engine as one change.
  // A folder deleted is reported as the folder alone too: the engine drops the apps that were in it.
  const folders = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
  const newFolder = async (uri: vscode.Uri) => {
    if (uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(uri) || vscode.workspace.asRelativePath(uri, false).split(/[\\/]/).some(skippedFolderName)) return;
    if (await holdsManifests(uri)) await host.fileChanged(uri.fsPath);
  };
  context.subscriptions.push(
    watcher,
    watcher.onDidChange(fromDisk), watcher.onDidCreate(fromDisk), watcher.onDidDelete(fromDisk),
    folders, folders.onDidCreate((uri) => void newFolder(uri)),
    folders.onDidDelete((uri) => { if (uri.scheme === 'file' && !MANIFEST_FILE.test(uri.fsPath)) void host.fileChanged(uri.fsPath); }),
    vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length && inWorkspace(e.document)) soon(e.document); }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      if (!inWorkspace(doc)) return;
      clearTimeout(timers.get(doc.uri.toString()));
      // Closing without saving: the file on disk is the truth again.
      void host.fileChanged(doc.uri.fsPath);
    }),
    { dispose: () => { for (const t of timers.values()) clearTimeout(t); } },
  );
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** Does a folder just created hold a manifest file, in it or below (false when `uri` is a file)? Bounded: a
 *  folder of thousands of files (a vendored tree) is not worth reading here. */
async function holdsManifests(uri: vscode.Uri, budget = { entries: 2_000 }): Promise<boolean> {
  let entries: [string, vscode.FileType][];
  try {
    entries = await vscode.workspace.fs.readDirectory(uri);
  } catch {
    return false; // a file, or already gone
  }
  for (const [name, type] of entries) {
    if (--budget.entries < 0) return false;
    if (type === vscode.FileType.File && MANIFEST_FILE.test(name)) return true;
    if (type === vscode.FileType.Directory && !skippedFolderName(name) && await holdsManifests(vscode.Uri.joinPath(uri, name), budget)) return true;
  }
  return false;
}

export function deactivate(): void {
  stopSandbox();
}
