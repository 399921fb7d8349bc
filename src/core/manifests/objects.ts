// Small helpers shared by the renderers (kept apart from render.ts so renderers import no cycle).
import type { DesiredObject, KubeObject, SourceLocation } from '../model';
import { refOf } from '../model';

export function toDesired(object: KubeObject, source: SourceLocation, fieldSources: Map<string, SourceLocation>): DesiredObject {
  return { ref: refOf(object), object, source, fieldSources };
}

/** Kustomize config files are Kubernetes-shaped but never applied. */
export function isKustomizeConfig(obj: KubeObject): boolean {
  return obj.apiVersion.startsWith('kustomize.config.k8s.io/');
}
