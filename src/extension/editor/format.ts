// Pure (vscode-free) text for the editor surfaces: after-text, hover markdown, tree descriptions.
// Values reaching here come from the engine's report, already masked for Secrets.
import type { AppReport, DriftReport, FieldDrift, ObjectRef, ResourceDrift } from '../../core/model';

const MAX_VALUE = 60;

/** A value as one short line: scalars as written in YAML, maps/lists as compact JSON, cut at 60 chars. */
export function formatValue(value: unknown, max = MAX_VALUE): string {
  if (value === undefined) return '(absent)';
  let out: string;
  if (typeof value === 'string') out = /^[\w.:/@+-]+$/.test(value) && value !== '' ? value : JSON.stringify(value);
  else out = JSON.stringify(value) ?? String(value);
  return out.length > max ? out.slice(0, max - 1) + '…' : out;
}

/** "12s ago", "3m ago", "5h ago", "2d ago"; '' without a time. */
export function relativeTime(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** `live: 5 · kubectl-scale · 3m ago` */
export function driftAfterText(drift: FieldDrift, now: number = Date.now()): string {
  const parts = [`live: ${formatValue(drift.live)}`];
  if (drift.manager) parts.push(drift.manager);
  const when = relativeTime(drift.time, now);
  if (when) parts.push(when);
  return parts.join(' · ');
}

export function missingAfterText(resource: ResourceDrift): string {
  return `missing in cluster: ${resource.kind}/${resource.name} is not live`;
}

/** `/spec/replicas: 3 -> 5, by kubectl-scale` (tree leaf description and diagnostic message). */
export function driftSummary(drift: FieldDrift): string {
  const by = drift.manager ? `, by ${drift.manager}` : '';
  return `${formatValue(drift.desired)} -> ${formatValue(drift.live)}${by}`;
}

export function diagnosticMessage(resource: ResourceDrift, drift: FieldDrift, now: number = Date.now()): string {
  const when = relativeTime(drift.time, now);
  return `${resource.kind}/${resource.name} ${drift.path}: Git has ${formatValue(drift.desired)}, live is ` +
    `${formatValue(drift.live)}${drift.manager ? ` (changed by ${drift.manager}${when ? ' ' + when : ''})` : ''}`;
}

export function resourceRef(resource: ResourceDrift): ObjectRef {
  return { apiVersion: resource.apiVersion, kind: resource.kind, namespace: resource.namespace, name: resource.name };
}

/** Argument passed to the commands linked from hovers, CodeLens and the tree. */
export interface TargetArg {
  app: string;
  ref?: ObjectRef;
  pointer?: string;
  file?: string;
  line?: number;
}

export function commandLink(command: string, arg: TargetArg): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify([arg]))}`;
}

export function appStatusText(app: AppReport): string {
  return app.health ? `${app.sync} · ${app.health}` : app.sync;
}

function mdCode(value: unknown): string {
  const text = value === undefined ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value);
  const cut = text.length > 400 ? text.slice(0, 399) + '…' : text;
  const ticks = /`/.test(cut) ? '``' : '`';
  return `${ticks}${cut}${ticks}`;
}

export interface HoverInput {
  app: AppReport;
  resource: ResourceDrift;
  pointer: string;
  drift?: FieldDrift;
  desiredValue: unknown;
  liveValue: unknown;
  cluster: DriftReport['cluster'];
  context?: string;
  file: string;
  line: number;
}

/** The hover's markdown (trusted for the two gitops commands only). */
export function hoverMarkdown(h: HoverInput, now: number = Date.now()): string {
  const lines: string[] = [];
  const r = h.resource;
  lines.push(`**GitOps** · ${r.kind}/${r.name}${r.namespace ? ` in ${r.namespace}` : ''} · \`${h.pointer || '/'}\``);
  lines.push('');
  lines.push(`Git: ${mdCode(h.desiredValue)}`);
  lines.push('');
  if (h.cluster.state !== 'connected') {
    lines.push(`Live: **Unknown** — cluster ${h.cluster.state}${h.cluster.message ? `: ${h.cluster.message}` : ''}`);
  } else if (r.status === 'Unknown') {
    lines.push(`Live: **Unknown**${r.message ? ` — ${r.message}` : ''}`);
  } else if (r.status === 'Missing') {
    lines.push('Live: **Missing** — the object is not in the cluster');
  } else if (h.drift) {
    lines.push(`Live: ${mdCode(h.drift.live)}`);
    const when = relativeTime(h.drift.time, now);
    if (h.drift.manager) {
      lines.push('');
      lines.push(`Changed by \`${h.drift.manager}\`${h.drift.operation ? ` (${h.drift.operation})` : ''}${when ? ` ${when}` : ''}${h.drift.time ? ` — ${h.drift.time}` : ''}`);
    }
  } else {
    lines.push(`Live: same${h.liveValue !== undefined && typeof h.liveValue !== 'object' ? ` (${mdCode(h.liveValue)})` : ''}`);
  }
  lines.push('');
  lines.push(`App **${h.app.name}**: ${h.cluster.state === 'connected' ? appStatusText(h.app) : 'Unknown (cluster ' + h.cluster.state + ')'}` +
    ` · resource ${h.cluster.state === 'connected' ? r.status : 'Unknown'}${h.context ? ` · context \`${h.context}\`` : ''}`);
  lines.push('');
  const arg: TargetArg = { app: h.app.name, ref: resourceRef(r), pointer: h.pointer, file: h.file, line: h.line };
  lines.push(`[Show live diff](${commandLink('gitops.showLiveDiff', arg)}) · [Request sync](${commandLink('gitops.requestSync', arg)})`);
  return lines.join('\n');
}
