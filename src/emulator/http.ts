/**
 * The emulator's HTTP layer: a small router on `node:http`, Okta's response conventions (request id, rate-limit
 * headers, error bodies) and strict body parsing. No framework: every forgiving default a framework has
 * (coercing types, answering 415 or 500 in its own words) would be a place where the emulator is not Okta.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_BODY_BYTES, OVERSIZED_BODY_LINGER_BYTES, OVERSIZED_BODY_LINGER_MS, REQUEST_TARGET_MAX } from '../okta/limits.ts';
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

/** Whether a path is the org authorization server's (`/oauth2/…`), whose every refusal is an OAuth error. */
export function isOAuthPath(path: string): boolean {
  return path === '/oauth2' || path.startsWith('/oauth2/');
}

/**
 * A request refused before any API sees it (its target, its body's size or encoding): `400 invalid_request`
 * ("Invalid request", the OAuth catalog's generic text) on an OAuth path, `400 E0000020` ("Bad request.", the
 * catalog's illegal-argument error, what a Java server's URL decoder throws) anywhere else. `detail` is for the
 * log and tests only.
 */
export function malformedRequest(path: string, detail: string): OktaApiError | OAuthError {
  return isOAuthPath(path) ? new OAuthError('invalid_request', { detail }) : new OktaApiError('E0000020');
}

/**
 * A request refused before its body is read (a target Okta would refuse, a body over `MAX_BODY_BYTES`): the
 * server answers `refusal` with a lingering close.
 */
export class UnreadRequest extends Error {
  readonly refusal: OktaApiError | OAuthError;
  constructor(refusal: OktaApiError | OAuthError) {
    super(refusal.message);
    this.name = 'UnreadRequest';
    this.refusal = refusal;
  }
}

function bodyTooLarge(path: string): UnreadRequest {
  return new UnreadRequest(
    isOAuthPath(path)
      ? new OAuthError('invalid_request', { detail: `the body is over ${MAX_BODY_BYTES} bytes` })
      : new OktaApiError('E0000001', { detail: 'request body too large', causes: ['body: must be at most 1 MiB'] }),
  );
}

// RFC 3986: a path is pchars and slashes; a pchar is unreserved, a sub-delim, ':' or '@', or a %XX escape.
const PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
// In a query, also what WHATWG URL serializers (browsers, fetch, Postman) leave raw: [ ] { } | ^ ` \ and '?'.
// '"', '#', '<' and '>' are always escaped by them, and Node's parser has already refused controls, spaces and
// non-ASCII bytes.
const QUERY = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?[\]{}|^`\\]|%[0-9A-Fa-f]{2})*$/;
// Decoded, a path may not name a control character or hide a '/' inside a segment.
const DECODED_PATH_FORBIDDEN = /[\x00-\x1f\x7f]/;

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why Okta's servers would refuse this request target, or undefined when it is well-formed: at most
 * `REQUEST_TARGET_MAX` bytes, origin-form, RFC 3986 characters, every `%` escape two hex digits, and what the
 * escapes spell valid UTF-8 (in the path, no control character and no escaped `/`).
 */
export function targetProblem(target: string): string | undefined {
  if (target.length > REQUEST_TARGET_MAX) return `the request target is over ${REQUEST_TARGET_MAX} bytes`;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q + 1);
  if (!PATH.test(path)) return 'the path has a character RFC 3986 does not allow, or a % not followed by two hex digits';
  if (/%2f/i.test(path)) return 'the path has an escaped "/" (%2F)';
  if (!decodes(path)) return 'the path has percent-escapes that are not UTF-8';
  if (DECODED_PATH_FORBIDDEN.test(decodeURIComponent(path))) return 'the path has an escaped control character';
  if (!QUERY.test(query)) return 'the query has a character clients always escape, or a % not followed by two hex digits';
  for (const part of query.split('&')) {
    if (!decodes(part.replace(/\+/g, ' '))) return 'the query has percent-escapes that are not UTF-8';
  }
  return undefined;
}

/**
 * The answer to `Expect: 100-continue`: a body declared over `MAX_BODY_BYTES` gets no `100 Continue`, so the
 * client need not send it; the request is then refused like any oversized body.
 */
export function continueUnlessOversized(req: IncomingMessage, res: ServerResponse): void {
  if (!(Number(req.headers['content-length']) > MAX_BODY_BYTES)) res.writeContinue();
}

/**
 * Reads the body. More than `MAX_BODY_BYTES` (declared in `Content-Length`, or counted) is refused with
 * an `UnreadRequest` before a byte more is kept; the rest is read and discarded by `lingeringClose`.
 */
function readBody(req: IncomingMessage, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      reject(bodyTooLarge(path));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        chunks.length = 0;
        reject(bodyTooLarge(path));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface LingerLimits {
  /** How long to keep reading after the answer. Default `OVERSIZED_BODY_LINGER_MS`. */
  ms: number;
  /** How many more bytes to read and discard. Default `OVERSIZED_BODY_LINGER_BYTES`. */
  bytes: number;
}

export const DEFAULT_LINGER: LingerLimits = { ms: OVERSIZED_BODY_LINGER_MS, bytes: OVERSIZED_BODY_LINGER_BYTES };

/**
 * A lingering close (RFC 9112 §9.6) for a request whose body the org refused unread: the answer goes out with
 * `Connection: close`, the org half-closes, and keeps reading and discarding what the client still sends, for at
 * most `limits.ms` and `limits.bytes`, so the client reads the answer instead of a reset. Call it before the
 * answer is written.
 */
export function lingeringClose(req: IncomingMessage, res: ServerResponse, limits: LingerLimits): void {
  const socket = req.socket;
  let discarded = 0;
  let timer: NodeJS.Timeout | undefined;
  const close = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  // Node ends a `Connection: close` answer with destroySoon(), which closes both ways once the answer is out;
  // the client's unread bytes would then turn into a reset. Half-close instead, and close on a bound.
  socket.destroySoon = function lingerThenClose(this: typeof socket) {
    this.end();
    timer = setTimeout(close, limits.ms);
    timer.unref();
  };
  res.setHeader('connection', 'close');
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.bytes) close();
  });
  req.resume();
  socket.once('end', close);
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Answers what Node's HTTP parser refuses (a request target with a control character, a space or a non-ASCII
 * byte, a malformed header, a body framed two ways) as Okta's 400 instead of Node's bare one, then closes.
 */
export function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
  // A response still in progress on this connection (a pipelined request failed to parse): nothing can be
  // answered in order any more.
  const inProgress = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (!socket.writable || inProgress || error.code === 'ECONNRESET' || error.code === 'EPIPE') return void socket.destroy();
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return void socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
  }
  // The request line, as far as it came: only to tell an OAuth path from a management one.
  const line = /^[A-Z]+ (\S*)/.exec(error.rawPacket?.toString('latin1') ?? '');
  const reply = errorReply(malformedRequest(line?.[1] ?? '/', `the HTTP parser refused the request: ${error.code ?? 'unknown'}`));
  const payload = JSON.stringify(reply.body);
  const headers = { ...reply.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), 'x-okta-request-id': requestId(), connection: 'close' };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}\r\n`).join('');
  socket.end(`HTTP/1.1 400 Bad Request\r\n${head}\r\n${payload}`);
}

/** The media type of a request, lower case and without parameters ('' when absent). */
export function mediaType(req: EmulatorRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A JSON request body. A wrong content type gets Okta's E0000021, malformed JSON or bytes that are not UTF-8
 * E0000003, as the management API answers them; on an OAuth path (DCR) both are `400 invalid_request`.
 * Neither reaches a handler.
 */
export function jsonBody(req: EmulatorRequest): unknown {
  const oauth = isOAuthPath(req.path);
  const notWellFormed = (detail: string) => (oauth ? new OAuthError('invalid_request', { detail }) : new OktaApiError('E0000003'));
  if (req.rawBody.length === 0) throw notWellFormed('no body');
  const type = mediaType(req);
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw oauth ? new OAuthError('invalid_request', { detail: `content type ${type || '(none)'} is not JSON` }) : new OktaApiError('E0000021');
  }
  let text: string;
  try {
    text = utf8.decode(req.rawBody);
  } catch {
    throw notWellFormed('the body is not UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw notWellFormed('the body is not JSON');
  }
}

/**
 * An `application/x-www-form-urlencoded` body, strictly: UTF-8 bytes, every `%` followed by two hex digits,
 * every escaped name and value valid UTF-8. Anything else is `400 invalid_request` (where a lenient parser
 * would substitute U+FFFD or keep the `%`).
 */
export function formBody(req: EmulatorRequest): URLSearchParams {
  let text: string;
  try {
    text = utf8.decode(req.rawBody);
  } catch {
    throw new OAuthError('invalid_request', { detail: 'the form is not UTF-8' });
  }
  for (const part of text.split('&')) {
    if (!decodes(part.replace(/\+/g, ' '))) throw new OAuthError('invalid_request', { detail: 'the form has a malformed percent-escape' });
  }
  return new URLSearchParams(text);
}

/**
 * Request data made safe for a quoted-string in a response header (RFC 9110 §5.6.4), such as
 * `WWW-Authenticate`'s `resource="…"`: `"` and `\` backslash-escaped, anything but visible ASCII and space
 * percent-encoded as UTF-8, so no request can end the string, add a parameter or a header line.
 */
export function quotedHeaderText(text: string): string {
  return text.replace(/["\\]|[^\x20-\x7e]+/g, (match) => (match === '"' || match === '\\' ? `\\${match}` : percentEncoded(match)));
}

/**
 * Request data made safe for a URI in a response header, such as a `Link`'s `<…>`: every character RFC 3986
 * does not allow in a URI (`<`, `>`, `"`, spaces, controls, non-ASCII, `{ } | ^ \` and the backtick)
 * percent-encoded as UTF-8; escapes already there are kept.
 */
export function headerUriText(text: string): string {
  return text.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+/g, percentEncoded);
}

/** `text` as %XX escapes of its UTF-8 bytes (a lone surrogate as U+FFFD's, where encodeURIComponent throws). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
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

/** Whether a handler threw one of Okta's own answers (a refusal), not an unexpected error. */
export function isOktaAnswer(error: unknown): boolean {
  return error instanceof OktaApiError || error instanceof OAuthError;
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

/**
 * The request as handlers see it. A target Okta would refuse, or a body over `MAX_BODY_BYTES`, is thrown as an
 * `UnreadRequest` before anything else happens.
 */
export async function toEmulatorRequest(req: IncomingMessage): Promise<EmulatorRequest> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const rawQuery = q === -1 ? '' : raw.slice(q + 1);
  const path = q === -1 ? raw : raw.slice(0, q);
  const problem = targetProblem(raw);
  if (problem !== undefined) throw new UnreadRequest(malformedRequest(path, problem));
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path,
    query: new URLSearchParams(rawQuery),
    rawQuery,
    headers: req.headers,
    rawBody: await readBody(req, path),
    params: {},
    requestId: requestId(),
    ip: req.socket.remoteAddress ?? '127.0.0.1',
  };
}
