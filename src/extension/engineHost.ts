// Owns the one Engine of this window: builds it from settings on first use (after activation), restarts it
// when settings or trust change, and re-publishes its DriftReport to every view as one event.
import * as vscode from 'vscode';
import type { GitOpsLog } from './log';
import type { App, DriftReport, IgnoreDifferencesRule } from '../core/model';
import { loadHeavy } from './engineLoader';
import type { EngineLike, EngineOptions, HeavyModule } from './engineTypes';

export type HostState = 'idle' | 'starting' | 'noWorkspace' | 'noCluster' | 'noApps' | 'ready' | 'error';

/** Settings that need a new engine when they change (decorations.enabled and sync timeout do not). */
const RESTART_SETTINGS = ['gitops.kubeconfig', 'gitops.context', 'gitops.helmPath', 'gitops.kustomizePath', 'gitops.ignoreDifferences', 'gitops.agent'];

export class EngineHost implements vscode.Disposable {
  private engine?: EngineLike;
  private unsubscribe?: () => void;
  private current?: DriftReport;
  private generation = 0;
  private starting?: Promise<void>;
  private lastSummary = '';
  private readonly emitter = new vscode.EventEmitter<DriftReport | undefined>();
  private readonly stateEmitter = new vscode.EventEmitter<HostState>();
  readonly onDidChange = this.emitter.event;
  readonly onDidChangeState = this.stateEmitter.event;
  state: HostState = 'idle';
  startError?: string;
  /** Set by "Start Sandbox Demo": connect to this kubeconfig/context/root instead of the settings'. */
  override?: { kubeconfig: string; context?: string; root?: string };
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly out: GitOpsLog) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) void this.restart('settings changed');
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.restart('workspace trusted: Helm, Kustomize and exec plugins allowed now')),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.restart('workspace folders changed')),
    );
  }

  heavy(): HeavyModule {
    return loadHeavy();
  }

  report(): DriftReport | undefined {
    return this.current;
  }

  get(): EngineLike | undefined {
    return this.engine;
  }

  root(): string | undefined {
    return this.roots()[0];
  }

  /** Every folder of the workspace (a multi-root workspace has several; the sandbox demo's clone is one). */
  roots(): string[] {
    if (this.override?.root) return [this.override.root];
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  }

  /** The options the engine is built with; workspace-level values of machine settings are already dropped by
   *  VS Code in restricted mode (package.json restrictedConfigurations). */
  options(): EngineOptions | undefined {
    const roots = this.roots();
    const root = roots[0];
    if (!root) return undefined;
    const c = vscode.workspace.getConfiguration('gitops');
    const trusted = vscode.workspace.isTrusted;
    const str = (k: string) => (c.get<string>(k) ?? '').trim() || undefined;
    return {
      root,
      roots,
      kubeconfig: this.override?.kubeconfig ?? str('kubeconfig') ?? process.env.KUBECONFIG ?? undefined,
      context: this.override ? this.override.context : str('context'),
      helmPath: trusted ? str('helmPath') : undefined,
      kustomizePath: trusted ? str('kustomizePath') : undefined,
      ignoreDifferences: c.get<IgnoreDifferencesRule[]>('ignoreDifferences') ?? [],
      trusted,
      watch: true,
      log: (line: string) => this.out.info(line),
    };
  }

  /** Start the engine if it is not running; resolves when the first report is there (or start failed). */
  ensureStarted(): Promise<void> {
    if (this.engine && this.state !== 'error') return Promise.resolve();
    if (!this.starting) this.starting = this.startNow().finally(() => { this.starting = undefined; });
    return this.starting;
  }

  private setState(state: HostState): void {
    if (state === this.state) return;
    this.state = state;
    void vscode.commands.executeCommand('setContext', 'gitops.state', state);
    this.stateEmitter.fire(state);
  }

  private async startNow(): Promise<void> {
    const generation = ++this.generation;
    const opts = this.options();
    if (!opts) {
      this.setState('noWorkspace');
      this.publish(undefined);
      return;
    }
    this.setState('starting');
    const began = Date.now();
    this.out.info(`starting engine: ${opts.roots && opts.roots.length > 1 ? `folders ${opts.roots.join(', ')}` : `root ${opts.root}`}, kubeconfig ${opts.kubeconfig ?? '~/.kube/config'}, context ${opts.context ?? '(current-context)'}` +
      `${opts.trusted ? '' : ' — restricted mode: plain YAML only, no helm/kustomize, no exec plugins'}`);
    let engine: EngineLike | undefined;
    try {
      const heavy = this.heavy();
      engine = await heavy.createEngine(opts);
      if (generation !== this.generation) { engine.dispose(); return; }
      this.engine = engine;
      this.unsubscribe = engine.onDidChange((r) => { if (generation === this.generation) this.publish(r); });
      await engine.start();
      if (generation !== this.generation) return;
      this.startError = undefined;
      this.publish(engine.report());
      this.out.info(`engine ready in ${Date.now() - began} ms`);
    } catch (err) {
      if (generation !== this.generation) return;
      this.startError = err instanceof Error ? err.message : String(err);
      this.out.error(`engine failed to start: ${this.startError}`);
      this.setState('error');
      this.publish(engine ? safeReport(engine) : undefined);
    }
  }

  private publish(report: DriftReport | undefined): void {
    this.current = report;
    if (report) {
      const cluster = report.cluster.state;
      if (cluster === 'none') this.setState('noCluster');
      else if (!report.apps.length) this.setState('noApps');
      else this.setState('ready');
      const out = report.apps.filter((a) => a.sync === 'OutOfSync').length;
      const summary = `${report.context ?? '(no context)'}: cluster ${cluster}${report.cluster.message ? ` (${report.cluster.message})` : ''}, ` +
        `${report.apps.length} apps, ${out} OutOfSync, ${report.apps.reduce((n, a) => n + a.resources.reduce((m, r) => m + r.drift.length, 0), 0)} drifted fields`;
      if (summary !== this.lastSummary) {
        this.lastSummary = summary;
        (cluster === 'connected' ? this.out.info : this.out.warn).call(this.out, summary);
        for (const e of report.errors) this.out.error(e);
        for (const a of report.apps) {
          if (a.error) this.out.error(`app ${a.name}: ${a.error}`);
          for (const n of a.notes ?? []) this.out.info(`app ${a.name}: ${n}`);
        }
      }
    }
    const began = performance.now();
    this.emitter.fire(report);
    // Every view re-reads the report here (tree, marks, problems, lenses): how long they took, for the output channel.
    this.out.debug(`report shown in ${Math.round(performance.now() - began)} ms`);
  }

  async refresh(): Promise<void> {
    if (!this.engine || this.state === 'error') return this.restart('refresh');
    this.out.info('refresh requested');
    await this.engine.refresh();
    this.publish(this.engine.report());
  }

  async restart(reason: string): Promise<void> {
    this.out.info(`restarting engine: ${reason}`);
    this.stop();
    await this.ensureStarted();
  }

  /** Re-render the apps that read `file` (from `text` = the unsaved buffer, else from disk). Never throws. */
  async fileChanged(file: string, text?: string): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const began = performance.now();
    try {
      await engine.fileChanged(file, text);
      this.out.debug(`re-read ${file}${text === undefined ? '' : ' (unsaved buffer)'} in ${Math.round(performance.now() - began)} ms`);
    } catch (err) {
      this.out.error(`could not re-read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  app(name: string): App | undefined {
    return this.engine?.apps().find((a) => a.name === name);
  }

  private stop(): void {
    this.generation++;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    try { this.engine?.dispose(); } catch (err) { this.out.error(`engine dispose: ${String(err)}`); }
    this.engine = undefined;
    this.starting = undefined;
  }

  dispose(): void {
    this.stop();
    this.emitter.dispose();
    this.stateEmitter.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function safeReport(engine: EngineLike): DriftReport | undefined {
  try { return engine.report(); } catch { return undefined; }
}
