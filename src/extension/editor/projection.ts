// Pure (vscode-free): the live object as the diff shows it. Argo CD semantics: fields only the live object has
// (server defaults, bookkeeping) are not drift, so they are hidden; keys follow Git's order so the built-in diff
// lines up. Live list items beyond Git's are kept (an extra container is real drift).

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function projectLive(live: unknown, desired: unknown): unknown {
  if (isPlainObject(live) && isPlainObject(desired)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(desired)) if (key in live) out[key] = projectLive(live[key], desired[key]);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(desired)) {
    return live.map((item, i) => (i < desired.length ? projectLive(item, desired[i]) : item));
  }
  return live;
}

/** The live side of the diff: projected onto Git's fields, with apiVersion/kind from the ref when the
 *  normalized live object dropped them. */
export function liveForDiff(live: Record<string, unknown>, desired: Record<string, unknown> | undefined, ref: { apiVersion: string; kind: string }): unknown {
  const filled = { apiVersion: ref.apiVersion, kind: ref.kind, ...live };
  return desired ? projectLive(filled, { apiVersion: ref.apiVersion, kind: ref.kind, ...desired }) : filled;
}
