// "Start Sandbox Demo": runs the bundled CLI's sandbox (API server + pull agent + demo repo) as a child
// process, connects this window's engine to it, and offers the demo clone. Stopped on deactivate.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';

let child: ChildProcess | undefined;

export function registerSandboxCommand(context: vscode.ExtensionContext, s: Services): void {
  context.subscriptions.push(vscode.commands.registerCommand('gitops.startSandbox', async () => {
    try {
      return await startSandbox(context, s);
    } catch (err) {
      s.fail('sandbox demo', err);
      return undefined;
    }
  }));
  context.subscriptions.push({ dispose: stopSandbox });
}

export function stopSandbox(): void {
  if (child?.pid && child.exitCode === null) {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { try { child.kill('SIGTERM'); } catch { /* gone */ } }
  }
  child = undefined;
}

async function startSandbox(context: vscode.ExtensionContext, s: Services): Promise<{ kubeconfig: string; clone?: string } | undefined> {
  if (child && child.exitCode === null) {
    void vscode.window.showInformationMessage('GitOps: the sandbox demo is already running.');
    return s.host.override ? { kubeconfig: s.host.override.kubeconfig, clone: s.host.override.root } : undefined;
  }
  const storage = context.globalStorageUri.fsPath;
  fs.mkdirSync(storage, { recursive: true });
  const kubeconfig = path.join(storage, 'sandbox.kubeconfig');
  const cli = path.join(context.extensionPath, 'dist', 'cli.cjs');
  const args = [cli, 'sandbox', '--demo', '--port', '0', '--kubeconfig', kubeconfig, '--state', path.join(storage, 'sandbox-state')];
  s.output.info(`starting sandbox: node ${args.join(' ')}`);
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'GitOps: starting the sandbox demo' }, (progress) =>
    new Promise<{ clone?: string }>((resolve, reject) => {
      // Desktop VS Code's execPath is Electron: run it as plain Node. Own process group, so stop kills the agent too.
      const p = spawn(process.execPath, args, { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child = p;
      let clone: string | undefined;
      let buffered = '';
      const timer = setTimeout(() => reject(new Error('the sandbox did not print "ready" within 90 s (see GitOps output)')), 90_000);
      const onLine = (line: string) => {
        s.output.info(`sandbox: ${line}`);
        const m = /(?:clone|workspace|repo(?:sitory)?)\s*[:=]\s*(\/\S+)/i.exec(line);
        if (m) clone = m[1];
        if (/\bready\b/i.test(line)) { clearTimeout(timer); resolve({ clone }); } else progress.report({ message: line.slice(0, 80) });
      };
      p.stdout!.on('data', (b: Buffer) => {
        buffered += b.toString();
        let i: number;
        while ((i = buffered.indexOf('\n')) >= 0) { onLine(buffered.slice(0, i)); buffered = buffered.slice(i + 1); }
      });
      p.stderr!.on('data', (b: Buffer) => s.output.warn(`sandbox: ${b.toString().trimEnd()}`));
      p.on('error', (err) => { clearTimeout(timer); reject(err); });
      p.on('exit', (code, signal) => {
        clearTimeout(timer);
        s.output.warn(`sandbox exited (${signal ?? code})`);
        reject(new Error(`the sandbox exited (${signal ?? code}) before it was ready`));
      });
    }));
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  // Connect to the sandbox; compare the demo clone unless this workspace is a repo of its own.
  const useClone = !folder || !s.host.report()?.apps.length;
  s.host.override = { kubeconfig, context: 'sandbox', root: useClone ? result.clone ?? folder : folder };
  if (result.clone) {
    // So that the clone opened in a window of its own connects to this sandbox too.
    try {
      const dir = path.join(result.clone, '.vscode');
      fs.mkdirSync(dir, { recursive: true });
      const settingsFile = path.join(dir, 'settings.json');
      if (!fs.existsSync(settingsFile)) fs.writeFileSync(settingsFile, JSON.stringify({ 'gitops.kubeconfig': kubeconfig, 'gitops.context': 'sandbox' }, null, 2) + '\n');
    } catch { /* read-only clone: the user can select the kubeconfig */ }
  }
  await s.host.restart('connected to the sandbox demo');
  s.output.info(`sandbox ready: kubeconfig ${kubeconfig}${result.clone ? `, demo clone ${result.clone}` : ''}`);
  if (result.clone && !process.env.GITOPS_TEST_NO_PROMPTS) {
    void vscode.window.showInformationMessage(`GitOps: sandbox demo running (context "sandbox"). Demo repo: ${result.clone}`, 'Open Demo Repo in New Window').then((b) => {
      if (b) void vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(result.clone!), { forceNewWindow: true });
    });
  }
  return { kubeconfig, clone: result.clone };
}
