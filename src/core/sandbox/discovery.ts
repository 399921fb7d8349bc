// /version, legacy discovery (/api, /apis, /api/v1, /apis/<g>/<v>) and the minimal OpenAPI v3 that
// kubectl 1.29+ reads before apply/edit (paths with x-kubernetes-group-version-kind, no schemas).
import crypto from 'node:crypto';
import { apiVersionOf, type Registry, type ResourceType } from './registry';

const SUB_VERBS = ['get', 'patch', 'update'];

export function versionInfo(minor: number): Record<string, string> {
  return {
    major: '1', minor: String(minor), gitVersion: `v1.${minor}.0`, gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64',
  };
}

const serverAddress = [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }];

export function discoveryApi(): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: serverAddress };
}

function groupEntry(name: string, versions: string[]) {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function discoveryApis(registry: Registry): unknown {
  const groups = [...registry.groups()].filter(([g]) => g !== '').map(([g, vs]) => groupEntry(g, vs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function discoveryGroup(registry: Registry, group: string): unknown {
  const vs = registry.groups().get(group);
  return vs && group ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, vs) } : undefined;
}

export function discoveryResources(registry: Registry, group: string, version: string): unknown {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (!types.length) return group === '' && version === 'v1' ? { kind: 'APIResourceList', groupVersion: 'v1', resources: [] } : undefined;
  const resources: unknown[] = [];
  for (const t of types) {
    resources.push({
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
      storageVersionHash: crypto.createHash('sha256').update(`${apiVersionOf(t)}/${t.kind}`).digest('base64').slice(0, 11),
    });
    // Subresources after their resource: client-node takes the first entry whose kind matches.
    if (t.subresources.includes('scale')) {
      resources.push({ name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: SUB_VERBS });
    }
    if (t.subresources.includes('status')) {
      resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: SUB_VERBS });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

const gvPath = (t: { group: string; version: string }) => (t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`);

export function openapiRoot(registry: Registry, _rv: number): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const byGv = new Map<string, ResourceType[]>();
  for (const t of registry.all()) byGv.set(gvPath(t), [...(byGv.get(gvPath(t)) ?? []), t]);
  for (const [gv, types] of byGv) {
    const hash = crypto.createHash('sha512').update(JSON.stringify(types.map((t) => [t.kind, t.plural, t.namespaced, t.subresources]))).digest('hex').slice(0, 32).toUpperCase();
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { paths };
}

export function openapiGroup(registry: Registry, gv: string): unknown {
  const types = registry.all().filter((t) => gvPath(t) === gv);
  if (!types.length) return undefined;
  const paths: Record<string, unknown> = {};
  const param = [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
    { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
    { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } }];
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const op = (action: string) => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, parameters: param, responses: { 200: { description: 'OK' } } });
    const base = `/${gv}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    paths[base] = { get: op('list'), post: op('post'), delete: op('deletecollection') };
    paths[`${base}/{name}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
    for (const sub of t.subresources) {
      const subGvk = sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
      const subOp = (action: string) => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': subGvk, parameters: param, responses: { 200: { description: 'OK' } } });
      paths[`${base}/{name}/${sub}`] = { get: subOp('get'), put: subOp('put'), patch: subOp('patch') };
    }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'unversioned' }, paths, components: { schemas: {} } };
}
