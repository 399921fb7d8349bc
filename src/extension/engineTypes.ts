// The slice of E's Engine (src/core/engine.ts) and G's agents API the extension uses, as agreed in the
// team brief. Kept as a structural type so this layer type-checks on its own; the real modules are loaded
// lazily from dist/engine.cjs (see engineLoader.ts) so activation never pays for client-node.
import type { App, AppReport, DesiredObject, DriftReport, FieldDrift, IgnoreDifferencesRule, KubeObject, ObjectRef, ResourceDrift } from '../core/model';

// Type-only imports are erased by esbuild: naming the engine's own types costs activation nothing.
export type { EngineOptions, Located } from '../core/engine';
import type { EngineOptions, Located } from '../core/engine';

export interface EngineLike {
  start(): Promise<void>;
  report(): DriftReport;
  onDidChange(cb: (r: DriftReport) => void): () => void;
  fileChanged(absPath: string, text?: string): Promise<void>;
  refresh(): Promise<void>;
  apps(): App[];
  desired(ref: ObjectRef): DesiredObject | undefined;
  liveNormalized(ref: ObjectRef): KubeObject | undefined;
  desiredNormalized(ref: ObjectRef): KubeObject | undefined;
  locate(file: string, line: number): Located | undefined;
  dispose(): void;
}

/** What dist/engine.cjs exports (src/extension/heavy.ts). The `yaml` library lives there too: it is most of
 *  the size of anything that parses YAML, and activation should not pay for it. */
export interface HeavyModule {
  adoptValueEdit: typeof import('./editor/adoptValue').adoptValueEdit;
  toYaml(value: unknown): string;
  createEngine(opts: EngineOptions): EngineLike | Promise<EngineLike>;
  listContexts(kubeconfig?: string): { contexts: string[]; current?: string; file: string };
  requestSync(opts: { kubeconfig?: string; context?: string; trusted?: boolean }, app: App, sync: { revision?: string; prune?: boolean }): Promise<void>;
}
