// The Applications tree: context -> apps -> resources -> drifted fields, built from the engine's one report.
// Ids are stable (derived from names, not positions) so expansion survives every refresh.
import * as vscode from 'vscode';
import type { AppReport, DriftReport, FieldDrift, ResourceDrift } from '../../core/model';
import { refKey } from '../../core/model';
import type { EngineHost } from '../engineHost';
import { appStatusText, driftSummary, resourceRef, type TargetArg } from '../editor/format';

export type TreeNode =
  | { type: 'context'; id: string; report: DriftReport }
  | { type: 'app'; id: string; parent: TreeNode; app: AppReport; report: DriftReport }
  | { type: 'resource'; id: string; parent: TreeNode & { type: 'app' }; app: AppReport; resource: ResourceDrift; report: DriftReport }
  | { type: 'field'; id: string; parent: TreeNode & { type: 'resource' }; app: AppReport; resource: ResourceDrift; drift: FieldDrift; report: DriftReport }
  | { type: 'message'; id: string; parent?: TreeNode; text: string; tooltip?: string; icon: string };

export function targetOf(node: TreeNode | undefined): TargetArg | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'app': return { app: node.app.name, file: node.app.resources[0]?.source?.file };
    case 'resource': return { app: node.app.name, ref: resourceRef(node.resource), file: node.resource.source?.file, line: node.resource.source?.line };
    case 'field': {
      const where = node.drift.source ?? node.resource.source;
      return { app: node.app.name, ref: resourceRef(node.resource), pointer: node.drift.path, file: where?.file, line: where?.line };
    }
    default: return undefined;
  }
}

export function resourceNodeId(app: string, resource: ResourceDrift): string {
  return `res:${app}:${refKey(resourceRef(resource))}`;
}

const SYNC_ICON: Record<string, [string, string]> = {
  Synced: ['pass-filled', 'testing.iconPassed'],
  OutOfSync: ['warning', 'editorWarning.foreground'],
  Unknown: ['question', 'disabledForeground'],
};
const RESOURCE_ICON: Record<string, [string, string]> = {
  Synced: ['check', 'testing.iconPassed'],
  OutOfSync: ['diff-modified', 'editorWarning.foreground'],
  Missing: ['diff-added', 'editorError.foreground'],
  Extra: ['diff-removed', 'editorInfo.foreground'],
  Unknown: ['question', 'disabledForeground'],
};

export class ApplicationsTree implements vscode.TreeDataProvider<TreeNode> {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private byId = new Map<string, TreeNode>();
  private roots: TreeNode[] = [];

  private shown = '';

  constructor(private readonly host: EngineHost) {
    host.onDidChange(() => this.rebuildIfChanged());
    host.onDidChangeState(() => this.rebuildIfChanged());
  }

  /** Refresh only when what the tree shows changed: a refresh re-creates every item (and the commands bound
   *  to them), so refreshing on every watch event would flicker and could swallow clicks. */
  private rebuildIfChanged(): void {
    const r = this.host.report();
    const signature = JSON.stringify([this.host.state, this.host.startError, r?.context, r?.cluster, r?.errors, r?.apps.map((a) => [
      a.name, a.sync, a.health, a.error, a.agent, a.renderer, a.origin, a.path,
      a.resources.map((x) => [x.kind, x.namespace, x.name, x.status, x.health, x.message, x.source, x.drift.map((d) => [d.path, d.desired, d.live, d.manager, d.time, d.source])]),
    ])]);
    if (signature === this.shown) return;
    this.shown = signature;
    this.rebuild();
  }

  /** Nodes are made from the in-memory report: top levels now, children on demand (reveal builds them). */
  private rebuild(): void {
    this.byId = new Map();
    this.roots = [];
    const report = this.host.report();
    const state = this.host.state;
    if (state === 'starting' && !report) {
      this.roots = [this.add({ type: 'message', id: 'msg:starting', text: 'Reading the workspace and the cluster…', icon: 'loading~spin' })];
    } else if (state === 'error' && !report) {
      this.roots = [this.add({ type: 'message', id: 'msg:error', text: `Engine failed: ${this.host.startError ?? 'unknown error'}`, tooltip: 'See GitOps output', icon: 'error' })];
    } else if (report && report.cluster.state !== 'none' && report.apps.length) {
      const ctx: TreeNode = this.add({ type: 'context', id: `ctx:${report.context ?? ''}`, report });
      this.roots = [ctx];
    }
    this.emitter.fire(undefined);
  }

  private add<T extends TreeNode>(node: T): T {
    // Two apps may hold the same object: ids must stay unique and stable.
    let id = node.id;
    for (let n = 2; this.byId.has(id); n++) id = `${node.id}#${n}`;
    node.id = id;
    this.byId.set(id, node);
    return node;
  }

  node(id: string): TreeNode | undefined {
    if (!this.byId.size) this.rebuild();
    const hit = this.byId.get(id);
    if (hit) return hit;
    // Children are built on demand: build them all so that reveal() can find deep nodes.
    for (const root of this.roots) this.expandAll(root);
    return this.byId.get(id);
  }

  private expandAll(node: TreeNode): void {
    for (const child of this.getChildren(node)) this.expandAll(child);
  }

  private childCache = new WeakMap<object, TreeNode[]>();

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      if (!this.roots.length && !this.byId.size) this.rebuild();
      return this.roots;
    }
    const cached = this.childCache.get(node);
    if (cached) return cached;
    let children: TreeNode[] = [];
    if (node.type === 'context') {
      const r = node.report;
      children = r.apps.map((app) => this.add({ type: 'app', id: `app:${app.name}`, parent: node, app, report: r }));
      for (const e of r.errors) children.push(this.add({ type: 'message', id: `err:${e}`, parent: node, text: e, icon: 'error' }));
    } else if (node.type === 'app') {
      const app = node.app;
      if (app.error) children.push(this.add({ type: 'message', id: `apperr:${app.name}`, parent: node, text: app.error, icon: 'error' }));
      for (const resource of app.resources) {
        children.push(this.add({ type: 'resource', id: resourceNodeId(app.name, resource), parent: node, app, resource, report: node.report }));
      }
    } else if (node.type === 'resource') {
      children = node.resource.drift.map((drift) => this.add({
        type: 'field', id: `field:${node.app.name}:${refKey(resourceRef(node.resource))}:${drift.path}`,
        parent: node, app: node.app, resource: node.resource, drift, report: node.report,
      }));
    }
    this.childCache.set(node, children);
    return children;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.type === 'context' ? undefined : node.parent;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const None = vscode.TreeItemCollapsibleState.None;
    const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    const Expanded = vscode.TreeItemCollapsibleState.Expanded;
    let item: vscode.TreeItem;
    switch (node.type) {
      case 'context': {
        const c = node.report.cluster;
        item = new vscode.TreeItem(node.report.context ?? '(no context)', Expanded);
        item.description = c.state === 'connected' ? c.server ?? 'connected' : `${c.state}${c.message ? ': ' + c.message : ''}`;
        item.iconPath = c.state === 'connected' ? new vscode.ThemeIcon('server-environment')
          : new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('editorError.foreground'));
        item.tooltip = `Cluster context ${node.report.context ?? ''}\n${c.server ?? ''}\nstate: ${c.state}${c.message ? `\n${c.message}` : ''}`;
        item.contextValue = 'gitops.context';
        break;
      }
      case 'app': {
        const a = node.app;
        const connected = node.report.cluster.state === 'connected';
        const sync = connected ? a.sync : 'Unknown';
        item = new vscode.TreeItem(a.name, a.resources.length || a.error ? Collapsed : None);
        item.description = connected ? appStatusText(a) : `Unknown · cluster ${node.report.cluster.state}`;
        const [icon, color] = a.error ? ['error', 'editorError.foreground'] : SYNC_ICON[sync] ?? SYNC_ICON.Unknown;
        item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
        const drifted = a.resources.reduce((n, r) => n + r.drift.length, 0);
        item.tooltip = new vscode.MarkdownString(`**${a.name}** (${a.renderer}, from ${a.origin})\n\n${a.path}\n\n` +
          `Sync: ${sync} · Health: ${a.health ?? 'Unknown'} · ${drifted} drifted field(s)` +
          (a.agent ? `\n\nAgent (${a.agent.kind}): ${a.agent.sync ?? '?'} / ${a.agent.health ?? '?'}${a.agent.message ? ` — ${a.agent.message}` : ''}` : '') +
          (a.error ? `\n\n$(error) ${a.error}` : '') +
          (a.notes?.length ? `\n\n${a.notes.map((n) => `$(info) ${n}`).join('\n\n')}` : ''), true);
        item.contextValue = `gitops.app.${sync}`;
        break;
      }
      case 'resource': {
        const r = node.resource;
        const connected = node.report.cluster.state === 'connected';
        const status = connected ? r.status : 'Unknown';
        item = new vscode.TreeItem(`${r.kind}/${r.name}`, r.drift.length ? Collapsed : None);
        item.description = `${status}${r.health && connected ? ` · ${r.health}` : ''}${r.drift.length ? ` · ${r.drift.length} field(s)` : ''}`;
        const [icon, color] = RESOURCE_ICON[status] ?? RESOURCE_ICON.Unknown;
        item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
        item.tooltip = `${r.apiVersion} ${r.kind} ${r.namespace ? r.namespace + '/' : ''}${r.name}\n${status}${r.message ? `: ${r.message}` : ''}` +
          (r.source ? `\n${r.source.file}:${r.source.line}` : '');
        item.contextValue = `gitops.resource.${status}`;
        if (r.source) item.command = { command: 'gitops.openSource', title: 'Open Source', arguments: [targetOf(node)] };
        break;
      }
      case 'field': {
        const d = node.drift;
        item = new vscode.TreeItem(d.path, None);
        item.description = driftSummary(d);
        item.iconPath = new vscode.ThemeIcon('symbol-field', new vscode.ThemeColor('editorWarning.foreground'));
        item.tooltip = `${d.path}\nGit: ${JSON.stringify(d.desired)}\nLive: ${JSON.stringify(d.live)}` +
          `${d.manager ? `\nby ${d.manager}${d.time ? ' at ' + d.time : ''}` : ''}`;
        item.contextValue = 'gitops.field';
        if (d.source ?? node.resource.source) item.command = { command: 'gitops.openSource', title: 'Open Source', arguments: [targetOf(node)] };
        break;
      }
      case 'message':
        item = new vscode.TreeItem(node.text, None);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.tooltip ?? node.text;
        item.contextValue = 'gitops.message';
        break;
    }
    item.id = node.id;
    return item;
  }

  /** Flattened view (label + description per node) for tests. */
  snapshot(): { id: string; label: string; description?: string }[] {
    const out: { id: string; label: string; description?: string }[] = [];
    const walk = (n: TreeNode) => {
      const item = this.getTreeItem(n);
      out.push({ id: n.id, label: String(typeof item.label === 'object' ? item.label.label : item.label), description: typeof item.description === 'string' ? item.description : undefined });
      for (const c of this.getChildren(n)) walk(c);
    };
    for (const r of this.getChildren()) walk(r);
    return out;
  }
}
