// Foundation checks inside the real extension host: the extension activates fast, nothing heavy is
// loaded by activation, and every command package.json contributes is registered.
// Runs in the `default` run (near-empty workspace), so nothing has activated the extension before.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'gitops-workbench.gitops-workbench';
const ACTIVATION_BUDGET_MS = 100;

type Manifest = {
  activationEvents?: string[];
  contributes?: { commands?: { command: string }[]; views?: Record<string, { id: string }[]> };
  main: string;
};

describe('activation', () => {
  let ext: vscode.Extension<unknown>;
  let activationMs = NaN;
  const round = (n: number) => Math.round(n * 10) / 10;

  before(async () => {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is not loaded in the extension host`);
    ext = found;
  });

  it('is not activated by an unrelated workspace (no `*` activation)', () => {
    const manifest = ext.packageJSON as Manifest;
    assert.ok(!(manifest.activationEvents ?? []).includes('*'), 'activationEvents must never contain *');
    assert.equal(ext.isActive, false, 'the extension activated before anything asked for it');
  });

  it(`activates in under ${ACTIVATION_BUDGET_MS} ms`, async () => {
    // Let the workbench's own start-up (built-in extensions activating in this same host) settle,
    // so the figure is ours and not theirs.
    await new Promise((r) => setTimeout(r, 1500));
    // Two parts, as VS Code's "Running Extensions" view counts them: loading the code, then activate().
    // The load is synchronous, so its CPU time is this extension's cost even when the 2 cores are busy
    // with other processes; wall-clock figures are printed too.
    const bundle = path.join(ext.extensionPath, (ext.packageJSON as Manifest).main);
    const cpuBefore = process.cpuUsage();
    const loadBegan = performance.now();
    require(bundle);
    const loadWallMs = performance.now() - loadBegan;
    const cpu = process.cpuUsage(cpuBefore);
    const loadCpuMs = (cpu.user + cpu.system) / 1000;
    const began = performance.now();
    await ext.activate();
    const aroundActivateMs = performance.now() - began;
    assert.equal(ext.isActive, true);
    const exported = (ext.exports as { activationMs?: number } | undefined)?.activationMs;
    // activate()'s own time when the extension reports it; else the wall time around ext.activate().
    const activateMs = typeof exported === 'number' ? exported : aroundActivateMs;
    activationMs = loadCpuMs + activateMs;
    console.log(`    activation: ${activationMs.toFixed(1)} ms = load ${loadCpuMs.toFixed(1)} ms CPU (${loadWallMs.toFixed(1)} ms wall)` +
      ` + activate() ${activateMs.toFixed(1)} ms; ${aroundActivateMs.toFixed(1)} ms wall around ext.activate()`);
    const artifacts = process.env.GITOPS_TEST_ARTIFACTS;
    if (artifacts) {
      fs.mkdirSync(artifacts, { recursive: true });
      fs.writeFileSync(path.join(artifacts, 'activation.json'), JSON.stringify({
        vscode: vscode.version, activationMs: round(activationMs), loadCpuMs: round(loadCpuMs), loadWallMs: round(loadWallMs),
        insideActivateMs: typeof exported === 'number' ? round(exported) : undefined, aroundActivateWallMs: round(aroundActivateMs),
        at: new Date().toISOString(),
      }, null, 2) + '\n');
    }
    assert.ok(activationMs < ACTIVATION_BUDGET_MS, `activation took ${activationMs.toFixed(1)} ms (budget ${ACTIVATION_BUDGET_MS} ms)`);
    // Wall clock on a busy machine is noisy; a whole second means something real went wrong.
    assert.ok(loadWallMs + aroundActivateMs < 1000, `activation took ${(loadWallMs + aroundActivateMs).toFixed(0)} ms wall`);
  });

  it('loads nothing heavy at activation (client-node stays out of the activation bundle)', () => {
    const manifest = ext.packageJSON as Manifest;
    const bundle = fs.readFileSync(path.join(ext.extensionPath, manifest.main), 'utf8');
    // esbuild marks each bundled file with a `// node_modules/...` comment: none may be client-node.
    const heavy = ['@kubernetes/client-node', 'openid-client', 'simple-git'].filter((p) => bundle.includes(`node_modules/${p}/`));
    assert.deepEqual(heavy, [], `${manifest.main} bundles ${heavy.join(', ')}: load them lazily (a separate bundle required on first use)`);
    const loaded = Object.keys(require.cache).filter((k) => k.includes(`${path.sep}@kubernetes${path.sep}client-node${path.sep}`));
    assert.deepEqual(loaded, [], 'client-node modules were required by activation');
    const exported = ext.exports as { engineLoadedAtActivation?: boolean } | undefined;
    if (exported && 'engineLoadedAtActivation' in exported) assert.equal(exported.engineLoadedAtActivation, false);
    const sizeKb = Buffer.byteLength(bundle) / 1024;
    console.log(`    ${manifest.main}: ${sizeKb.toFixed(0)} KiB`);
  });

  it('registers every command that package.json contributes', async () => {
    const contributed = ((ext.packageJSON as Manifest).contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('opens the GitOps view container with the Applications view', async () => {
    const views = (ext.packageJSON as Manifest).contributes?.views?.gitops ?? [];
    assert.ok(views.some((v) => v.id === 'gitops.applications'), 'view gitops.applications is not contributed to the gitops container');
    await vscode.commands.executeCommand('workbench.view.extension.gitops');
    // The view's focus command exists once the view is registered with the workbench.
    await vscode.commands.executeCommand('gitops.applications.focus');
  });
});
