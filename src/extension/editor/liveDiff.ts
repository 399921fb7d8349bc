// Read-only virtual documents for the live diff: `gitops-live:` (the live object normalized as the engine
// compares it, Secrets masked) and `gitops-desired:` (the rendered desired object). Both refresh on every
// engine change, so an open diff editor follows watch events.
import * as vscode from 'vscode';
import type { ObjectRef } from '../../core/model';
import type { EngineHost } from '../engineHost';
import { liveForDiff } from './projection';

export const LIVE_SCHEME = 'gitops-live';
export const DESIRED_SCHEME = 'gitops-desired';

export function diffUri(scheme: string, app: string, ref: ObjectRef): vscode.Uri {
  const name = `${ref.kind}-${ref.namespace ? ref.namespace + '-' : ''}${ref.name}.yaml`;
  return vscode.Uri.from({ scheme, path: `/${app}/${name}`, query: JSON.stringify(ref) });
}

export class LiveDiffContent implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly host: EngineHost, private readonly scheme: string) {
    this.sub = host.onDidChange(() => {
      for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === this.scheme) this.emitter.fire(doc.uri);
    });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    let ref: ObjectRef;
    try { ref = JSON.parse(uri.query) as ObjectRef; } catch { return '# not a GitOps object address\n'; }
    const engine = this.host.get();
    const report = this.host.report();
    if (!engine || !report) return '# the GitOps engine is not running\n';
    if (this.scheme === LIVE_SCHEME) {
      if (report.cluster.state !== 'connected') {
        return `# live state unknown: cluster ${report.cluster.state}${report.cluster.message ? ` (${report.cluster.message})` : ''}\n`;
      }
      const live = engine.liveNormalized(ref);
      if (!live) return `# ${ref.kind}/${ref.name} is not in the cluster (Missing)\n`;
      const desired = engine.desiredNormalized(ref);
      return '# Live, normalized as compared (Secrets masked); fields only the server sets are hidden.\n' +
        this.host.heavy().toYaml(liveForDiff(live as Record<string, unknown>, desired as Record<string, unknown> | undefined, ref));
    }
    const desired = engine.desiredNormalized(ref);
    return desired
      ? '# Git, rendered and normalized as compared.\n' + this.host.heavy().toYaml({ ...{ apiVersion: ref.apiVersion, kind: ref.kind }, ...(desired as Record<string, unknown>) })
      : `# ${ref.kind}/${ref.name} is not in Git (Extra)\n`;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

export async function openLiveDiff(app: string, ref: ObjectRef): Promise<void> {
  const left = diffUri(LIVE_SCHEME, app, ref);
  const right = diffUri(DESIRED_SCHEME, app, ref);
  await vscode.commands.executeCommand('vscode.diff', left, right, `${ref.kind}/${ref.name}: live ↔ Git (${app})`, { preview: true });
}
