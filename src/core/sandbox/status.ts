// Kubernetes Status errors with the messages real clients print (kubectl shows `message` verbatim).
import { qualifiedName, type ResourceType } from './registry';

export interface StatusCause { reason?: string; message: string; field?: string }

export class ApiError extends Error {
  constructor(public code: number, public reason: string, message: string,
    public details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number }) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason,
      ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

const detailsOf = (t: ResourceType, name?: string) => ({ ...(name !== undefined ? { name } : {}), ...(t.group ? { group: t.group } : {}), kind: t.plural });

export const notFound = (t: ResourceType, name: string) => new ApiError(404, 'NotFound', `${qualifiedName(t)} "${name}" not found`, detailsOf(t, name));
export const namespaceNotFound = (ns: string) => new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
export const alreadyExists = (t: ResourceType, name: string) => new ApiError(409, 'AlreadyExists', `${qualifiedName(t)} "${name}" already exists`, detailsOf(t, name));
export const conflict = (t: ResourceType, name: string) => new ApiError(409, 'Conflict',
  `Operation cannot be fulfilled on ${qualifiedName(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, detailsOf(t, name));
export const invalid = (t: ResourceType, name: string, causes: StatusCause[]) => new ApiError(422, 'Invalid',
  `${t.kind}${t.group ? `.${t.group}` : ''} "${name}" is invalid: ${causes.map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`).join(', ')}`,
  { name, ...(t.group ? { group: t.group } : {}), kind: t.kind, causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, ...(c.field ? { field: c.field } : {}) })) });
export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const pathNotFound = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
export const methodNotAllowed = (method: string) => new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {});
export const unsupportedMediaType = (type: string, accepted: string[]) => new ApiError(415, 'UnsupportedMediaType',
  `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {}) as ApiError & { type?: string };
export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

export function forbidden(user: string, verb: string, t: ResourceType, namespace?: string, name?: string): ApiError {
  const subject = name ? `${qualifiedName(t)} "${name}"` : qualifiedName(t);
  const where = namespace ? ` in the namespace "${namespace}"` : t.namespaced ? '' : ' at the cluster scope';
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: User "${user}" cannot ${verb} resource "${t.plural}" in API group "${t.group}"${where}`, detailsOf(t, name));
}
