// Fault injection for tests, driven by `POST /_sandbox/faults` with the admin token. Each field is
// optional; a request changes only what it names. `{"reset": true}` clears everything.
//
//   {"dropWatches": true}                       end every open watch cleanly ("reset": destroy the socket)
//   {"errors": {"status": 503, "seconds": 5, "pathPrefix": "/apis/apps", "methods": ["GET"]}}
//                                               answer 5xx or 429 (with Retry-After) for a while
//   {"latencyMs": 300}                          delay every API request (0 clears)
//   {"expireResourceVersions": true}            every resourceVersion issued so far answers 410 on watch,
//                                               and every continue token issued so far 410 Expired (a compaction)
//   {"expireContinueTokens": 2}                 the next n LIST requests with a continue token answer 410 Expired
//   {"forbid": {"resource": "secrets", "group": "", "user": "*", "verbs": ["list"]}}
//                                               403 for that kind (user admin|readonly|*; verbs default all)
//   {"unforbid": true}                          drop every forbid rule
//   {"refuseReadonly": true}                    the read-only token gets 403 on everything
//   {"bookmarkIntervalMs": 500}                 how often watches with allowWatchBookmarks get a BOOKMARK
//   {"simulator": false} / {"simulatorDelayMs": 2000}   freeze / slow the workload status simulator
import { ApiError } from './status';
import type { ResourceType } from './registry';

export interface ForbidRule { resource: string; group?: string; user?: string; verbs?: string[] }

export interface FaultSpec {
  reset?: boolean;
  dropWatches?: boolean | 'reset';
  errors?: { status: number; seconds: number; pathPrefix?: string; methods?: string[] } | null;
  latencyMs?: number;
  expireResourceVersions?: boolean;
  /** Handled by the server's LIST paging (server.ts). */
  expireContinueTokens?: number;
  forbid?: ForbidRule | ForbidRule[];
  unforbid?: boolean;
  refuseReadonly?: boolean;
  bookmarkIntervalMs?: number;
  simulator?: boolean;
  simulatorDelayMs?: number;
}

const REASONS: Record<number, string> = { 429: 'TooManyRequests', 500: 'InternalError', 502: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };

export class Faults {
  private errors?: { status: number; until: number; pathPrefix?: string; methods?: string[] };
  latencyMs = 0;
  forbidRules: ForbidRule[] = [];
  refuseReadonly = false;
  bookmarkIntervalMs = 5000;

  apply(spec: FaultSpec): void {
    if (spec.reset) {
      this.errors = undefined; this.latencyMs = 0; this.forbidRules = []; this.refuseReadonly = false; this.bookmarkIntervalMs = 5000;
    }
    if (spec.errors === null) this.errors = undefined;
    else if (spec.errors) {
      const status = Number(spec.errors.status);
      if (!(status === 429 || (status >= 500 && status <= 599))) throw new ApiError(400, 'BadRequest', 'errors.status must be 429 or 5xx');
      this.errors = { status, until: Date.now() + Number(spec.errors.seconds ?? 5) * 1000, pathPrefix: spec.errors.pathPrefix, methods: spec.errors.methods };
    }
    if (spec.latencyMs !== undefined) this.latencyMs = Math.max(0, Number(spec.latencyMs));
    if (spec.unforbid) this.forbidRules = [];
    if (spec.forbid) this.forbidRules.push(...(Array.isArray(spec.forbid) ? spec.forbid : [spec.forbid]));
    if (spec.refuseReadonly !== undefined) this.refuseReadonly = spec.refuseReadonly;
    if (spec.bookmarkIntervalMs !== undefined) this.bookmarkIntervalMs = Math.max(50, Number(spec.bookmarkIntervalMs));
  }

  describe(): Record<string, unknown> {
    return {
      errors: this.errors && this.errors.until > Date.now() ? { ...this.errors, secondsLeft: (this.errors.until - Date.now()) / 1000 } : null,
      latencyMs: this.latencyMs, forbid: this.forbidRules, refuseReadonly: this.refuseReadonly, bookmarkIntervalMs: this.bookmarkIntervalMs,
    };
  }

  /** Latency, then an injected error if one is active for this request. */
  async beforeRequest(path: string, method: string): Promise<void> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const e = this.errors;
    if (!e) return;
    if (e.until <= Date.now()) { this.errors = undefined; return; }
    if (e.pathPrefix && !path.startsWith(e.pathPrefix)) return;
    if (e.methods && !e.methods.includes(method)) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((e.until - Date.now()) / 1000));
    const message = e.status === 429 ? 'Too many requests, please try again later.' : e.status === 503 ? 'the server is currently unable to handle the request' : 'Internal error occurred: injected fault';
    throw new ApiError(e.status, REASONS[e.status] ?? 'InternalError', message, { retryAfterSeconds });
  }

  isForbidden(user: string, verb: string, t: ResourceType): boolean {
    return this.forbidRules.some((r) => r.resource === t.plural && (r.group === undefined || r.group === t.group)
      && (!r.user || r.user === '*' || r.user === user) && (!r.verbs || r.verbs.includes(verb)));
  }
}
