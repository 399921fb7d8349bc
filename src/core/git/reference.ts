// Docker / OCI image references (github.com/distribution/reference grammar): parse, validate,
// normalize. Pure functions; the tag bump validates every new tag here before touching a file.

export const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;
const DIGEST_PATTERN = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

export interface ImageReference {
  /** Repository as written, without tag or digest: `ghcr.io/acme/api`, `nginx`. */
  name: string;
  tag?: string;
  digest?: string;
  /** Character offset of the tag inside the reference string (when there is a tag). */
  tagOffset?: number;
}

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/** Why `tag` is not a valid Docker tag, or undefined when it is. */
export function tagProblem(tag: string): string | undefined {
  if (tag === '') return 'the tag is empty';
  if (tag.length > 128) return `the tag is ${tag.length} characters long (at most 128)`;
  if (!TAG_PATTERN.test(tag)) return `'${tag}' is not a valid image tag: use letters, digits, '_', '.' and '-', not starting with '.' or '-' (Docker reference grammar [\\w][\\w.-]{0,127})`;
  return undefined;
}

/** Split a reference into name, tag, digest. Does not validate (see isValidReference). */
export function parseImageReference(ref: string): ImageReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon < 0) return { name: rest, digest };
  return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest, tagOffset: colon + 1 };
}

export function isValidName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  const parts = name.split('/');
  if (parts.length > 1 && DOMAIN.test(parts[0]) && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost' || /[A-Z]/.test(parts[0]))) {
    parts.shift();
  }
  return parts.length > 0 && parts.every((p) => PATH_COMPONENT.test(p));
}

export function isValidReference(ref: string): boolean {
  const parsed = parseImageReference(ref);
  if (!isValidName(parsed.name)) return false;
  if (parsed.tag !== undefined && !isValidTag(parsed.tag)) return false;
  if (parsed.digest !== undefined && !DIGEST_PATTERN.test(parsed.digest)) return false;
  return true;
}

/** The fully qualified name Docker resolves: `nginx` -> `docker.io/library/nginx`. */
export function normalizeImageName(name: string): string {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? name.slice(slash + 1) : name;
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return `${domain}/${path}`;
}

export function sameImageName(a: string, b: string): boolean {
  return normalizeImageName(a) === normalizeImageName(b);
}
