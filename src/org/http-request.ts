/**
 * One HTTP request over `node:http`/`node:https`, for the harness's own calls to the org (`OrgClient`).
 *
 * Why not the global `fetch`: Node loads undici, fetch's implementation, on the first call to `fetch` (or the
 * first use of `Headers`), which costs a `verify` run about 36 ms of its start-up for two calls. `node:http`
 * is loaded already: Newman sends through it. The behaviour the harness relies on is the same: the global
 * agent keeps connections alive, `NODE_EXTRA_CA_CERTS` is honoured, and a failure rejects with the system
 * error (its `code`, as `describeFetchFailure` reads it) or a `TimeoutError`.
 *
 * Unlike fetch, a redirect is not followed: a 3xx is an answer like any other, for the caller to judge. The
 * org's API does not redirect, and following one would send the API token to wherever it points.
 */
import { request as requestHttp, type IncomingHttpHeaders } from 'node:http';
import { request as requestHttps } from 'node:https';

/** Response headers, read by name (case-insensitive), as `Headers.get` reads them. `Headers` is one. */
export interface HeaderBag {
  get(name: string): string | null;
}

/** A `HeaderBag` over headers as Node or Newman give them: a record, names in any case, values joined with ", ". */
export function headerBag(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): HeaderBag {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const text = Array.isArray(value) ? value.join(', ') : value;
    byName.set(key, byName.has(key) ? `${byName.get(key)!}, ${text}` : text);
  }
  return { get: (name) => byName.get(name.toLowerCase()) ?? null };
}

export interface HttpRequestInit {
  method: string;
  headers: Record<string, string>;
  /** The body, sent with its byte length. Default: none. */
  body?: string;
  /** Milliseconds from the start until the whole answer is read. */
  timeoutMs: number;
  /** The longest answer body read, in bytes. Default 32 MiB (a System Log page of 1000 events is well under it). */
  maxBytes?: number;
}

export interface HttpAnswer {
  status: number;
  headers: HeaderBag;
  /** The body as UTF-8 text. */
  text: string;
}

export const DEFAULT_MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** The error a request that took longer than its `timeoutMs` rejects with (named as `AbortSignal.timeout`'s is). */
export class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** The error an answer longer than `maxBytes` rejects with. */
export class AnswerTooLargeError extends Error {
  readonly code = 'ERR_ANSWER_TOO_LARGE';
  constructor(maxBytes: number) {
    super(`the answer was longer than ${maxBytes} bytes`);
  }
}

/** Sends one request and reads its whole answer. Rejects when no (whole) answer comes; any status resolves. */
export function httpRequest(url: string, init: HttpRequestInit): Promise<HttpAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? requestHttps : target.protocol === 'http:' ? requestHttp : undefined;
  if (!send) return Promise.reject(new TypeError(`httpRequest speaks http and https, not ${target.protocol}`));
  const maxBytes = init.maxBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
  return new Promise<HttpAnswer>((resolve, reject) => {
    const headers: Record<string, string> = { ...init.headers, ...(body && { 'content-length': String(body.length) }) };
    const req = send(target, { method: init.method, headers });
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    // Rejected first, then the socket destroyed: whatever errors the destroy raises come after the settle.
    const fail = (error: Error): void => settle(() => reject(error));
    const abandon = (error: Error): void => {
      fail(error);
      req.destroy();
    };
    const timer = setTimeout(() => abandon(new RequestTimeoutError(init.timeoutMs)), init.timeoutMs);
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > maxBytes) return abandon(new AnswerTooLargeError(maxBytes));
        chunks.push(chunk);
      });
      // An answer cut short (the connection reset mid-body) fails the request like a lost connection.
      res.on('error', fail);
      res.on('aborted', () => fail(Object.assign(new Error('the connection closed before the whole answer came'), { code: 'ECONNRESET' })));
      res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, headers: headerBag(res.headers), text: Buffer.concat(chunks).toString('utf8') })));
    });
    req.end(body);
  });
}
