// Pure (vscode-free): the report re-indexed by file and line, so every editor surface (decorations,
// diagnostics, CodeLens) reads one map instead of walking the report per editor.
import type { AppReport, DriftReport, FieldDrift, ResourceDrift } from '../../core/model';

export type MarkKind = 'drift' | 'missing' | 'unknown';

export interface LineMark {
  /** 1-based line. */
  line: number;
  kind: MarkKind;
  app: AppReport;
  resource: ResourceDrift;
  drift?: FieldDrift;
}

export interface ObjectHead {
  line: number;
  app: AppReport;
  resource: ResourceDrift;
}

export interface FileIndex {
  marks: LineMark[];
  heads: ObjectHead[];
}

export type DriftIndex = Map<string, FileIndex>;

function entry(index: DriftIndex, file: string): FileIndex {
  let e = index.get(file);
  if (!e) index.set(file, (e = { marks: [], heads: [] }));
  return e;
}

/** File -> marks (sorted by line) and object heads. When the cluster is not connected, drift is not claimed:
 *  each object's head gets an 'unknown' mark instead. */
export function indexReport(report: DriftReport | undefined): DriftIndex {
  const index: DriftIndex = new Map();
  if (!report) return index;
  const connected = report.cluster.state === 'connected';
  for (const app of report.apps) {
    for (const resource of app.resources) {
      if (resource.source) entry(index, resource.source.file).heads.push({ line: resource.source.line, app, resource });
      if (!connected || resource.status === 'Unknown') {
        if (resource.source) entry(index, resource.source.file).marks.push({ line: resource.source.line, kind: 'unknown', app, resource });
        continue;
      }
      if (resource.status === 'Missing' && resource.source) {
        entry(index, resource.source.file).marks.push({ line: resource.source.line, kind: 'missing', app, resource });
        continue;
      }
      for (const drift of resource.drift) {
        const where = drift.source ?? resource.source;
        if (!where) continue;
        entry(index, where.file).marks.push({ line: where.line, kind: 'drift', app, resource, drift });
      }
    }
  }
  for (const e of index.values()) {
    e.marks.sort((a, b) => a.line - b.line);
    e.heads.sort((a, b) => a.line - b.line);
  }
  return index;
}

/** Marks grouped per line (several drifts can come from one line, e.g. a Helm value feeding two objects). */
export function marksByLine(marks: LineMark[]): Map<number, LineMark[]> {
  const out = new Map<number, LineMark[]>();
  for (const m of marks) {
    const list = out.get(m.line);
    if (list) list.push(m);
    else out.set(m.line, [m]);
  }
  return out;
}

export function countOutOfSync(report: DriftReport | undefined): number {
  return report ? report.apps.filter((a) => a.sync === 'OutOfSync').length : 0;
}
