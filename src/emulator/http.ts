/**
 * The emulator's HTTP layer: a small router on `node:http`, Okta's response conventions (request id, rate-limit
 * headers, error bodies) and strict body parsing. No framework: every forgiving default a framework has
 * (coercing types, answering 415 or 500 in its own words) would be a place where the emulator is not Okta.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { OAuthError, OktaApiError } from './errors.ts';
import { requestId } from './ids.ts';
import type { Org } from './org.ts';

export interface EmulatorRequest {
  method: string;
  /** The path, without the query string. */
  path: string;
  query: URLSearchParams;
  /** The raw query string, without `?` ('' when there is none). */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** Path parameters, by the names in the route pattern. */
  params: Record<string, string>;
  /** `X-Okta-Request-Id` of this request. */
  requestId: string;
  /** The client's address, for the System Log. */
  ip: string;
}

export interface Reply {
  status: number;
  /** Serialized as JSON; omitted (no body, no content type) when undefined. */
  body?: unknown;
  headers?: Record<string, string | string[]>;
}

export type Handler = (req: EmulatorRequest, org: Org) => Reply | Promise<Reply>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A path with `:name` segments, e.g. `/api/v1/apps/:appId/grants`. */
  path: string;
  handler: Handler;
  /**
   * How the route's rate limit is charged (rate-limit.ts), at the org's management limit. `'caller'` (default):
   * once the caller is known, to the caller's own bucket for the route (`authenticate()` does it; a request
   * refused for its credentials goes to the route's bucket of refused requests), so no request can spend
   * another caller's budget. `'route'`: one shared bucket for the route, before the handler runs (public
   * routes that know no caller). `'handler'`: the handler charges its own bucket (the risk events endpoint,
   * whose limit is per provider).
   */
  rateLimit?: 'caller' | 'route' | 'handler';
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

const MAX_BODY_BYTES = 1024 * 1024;

export class Router {
  readonly #routes: CompiledRoute[] = [];
  readonly #static = new Map<string, CompiledRoute>();

  add(routes: Route[]): this {
    for (const route of routes) {
      const names: string[] = [];
      // Escape the literal parts (the dot of /.well-known), then turn :name segments into captures.
      const source = route.path
        .split(/(:[A-Za-z]+)/)
        .map((part) => {
          if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(part.slice(1));
          return '([^/]+)';
        })
        .join('');
      const compiled = { ...route, pattern: new RegExp(`^${source}/?$`), names };
      this.#routes.push(compiled);
      if (names.length === 0) {
        // A path with no parameters is found by a map lookup; the regex loop stays for the rest.
        for (const key of [route.path, `${route.path}/`]) this.#static.set(`${route.method} ${key}`, compiled);
      }
    }
    return this;
  }

  /** The route for a method and path; `allowed` lists the methods the path supports when the method is not one. */
  match(method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | { allowed: string[] } {
    const exact = this.#static.get(`${method} ${path}`);
    if (exact) return { route: exact, params: {} };
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
      return { route, params };
    }
    return { allowed };
  }
}

/** Reads the body, refusing more than 1 MiB. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop keeping the body but read it to the end, so the client still gets an answer.
        req.off('data', onData);
        req.resume();
        chunks.length = 0;
        reject(new OktaApiError('E0000001', { detail: 'request body too large', causes: ['body: must be at most 1 MiB'] }));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The media type of a request, lower case and without parameters ('' when absent). */
export function mediaType(req: EmulatorRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * A JSON request body. A wrong content type gets Okta's E0000021 and malformed JSON E0000003, as the
 * management API answers them; neither reaches a handler.
 */
export function jsonBody(req: EmulatorRequest): unknown {
  if (req.rawBody.length === 0) throw new OktaApiError('E0000003');
  const type = mediaType(req);
  if (type !== 'application/json' && !type.endsWith('+json')) throw new OktaApiError('E0000021');
  try {
    return JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    throw new OktaApiError('E0000003');
  }
}

export function sendReply(res: ServerResponse, reply: Reply, headOnly = false): void {
  const headers: Record<string, string | string[]> = { ...reply.headers };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else {
    headers['content-length'] = '0';
  }
  res.writeHead(reply.status, headers);
  res.end(headOnly ? undefined : payload);
}

/** Turns anything a handler threw into Okta's answer; an unexpected error is a 500 E0000009, never a stack trace. */
export function errorReply(error: unknown): Reply {
  if (error instanceof OktaApiError) return { status: error.status, body: error.body(), headers: error.headers };
  if (error instanceof OAuthError) {
    return {
      status: error.status,
      body: error.bodyless ? undefined : error.body(),
      headers: { 'cache-control': 'no-cache, no-store', pragma: 'no-cache', ...error.headers },
    };
  }
  const internal = new OktaApiError('E0000009');
  return { status: 500, body: { ...internal.body(), errorLink: 'E0000000' } };
}

export async function toEmulatorRequest(req: IncomingMessage): Promise<EmulatorRequest> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const rawQuery = q === -1 ? '' : raw.slice(q + 1);
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: q === -1 ? raw : raw.slice(0, q),
    query: new URLSearchParams(rawQuery),
    rawQuery,
    headers: req.headers,
    rawBody: await readBody(req),
    params: {},
    requestId: requestId(),
    ip: req.socket.remoteAddress ?? '127.0.0.1',
  };
}
