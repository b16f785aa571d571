/**
 * The org's only outbound calls: fetching a Security Events Provider's well-known document and JWKS. Bounded
 * so that a provider's server can neither hang nor flood the org: a timeout, a size cap read as the body
 * streams in, no redirects, `application/json` only (Okta's guide requires it for the JWKS), and by default
 * loopback hosts only (the emulator runs on one machine; `allowRemoteFetch` lifts it). Every failure is a
 * `FetchProblem` with a reason for logs and tests; nothing here throws anything else.
 */
import { isIP } from 'node:net';

export interface FetchLimits {
  /** Milliseconds before the fetch is abandoned. */
  timeoutMs: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Whether hosts other than loopback may be fetched. */
  allowRemote: boolean;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = { timeoutMs: 5000, maxBytes: 64 * 1024, allowRemote: false };

export class FetchProblem extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'FetchProblem';
  }
}

/** Whether a URL's host is this machine: `localhost`, 127.0.0.0/8 or `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Whether `text` is a URL the org will fetch from: https anywhere, or http to loopback (as the harness allows
 * plain http only to loopback). No credentials in it, no fragment.
 */
export function fetchableUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.hash) return undefined;
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  return undefined;
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new FetchProblem(`the body is ${declared} bytes, more than ${maxBytes}`);
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FetchProblem(`the body is more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GETs `url` and parses its JSON object body, within `limits`. */
export async function fetchJsonObject(url: string, limits: FetchLimits): Promise<Record<string, unknown>> {
  const parsed = fetchableUrl(url);
  if (!parsed) throw new FetchProblem(`${url} is not an https URL (or http to loopback)`);
  if (!limits.allowRemote && !isLoopbackHost(parsed.hostname)) throw new FetchProblem(`${parsed.hostname} is not a loopback host, and remote fetches are off`);
  let response: Response;
  try {
    response = await fetch(parsed, { redirect: 'error', signal: AbortSignal.timeout(limits.timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    const name = (error as Error).name;
    throw new FetchProblem(name === 'TimeoutError' ? `no answer within ${limits.timeoutMs} ms` : `the fetch failed: ${(error as Error).message}`);
  }
  try {
    if (response.status !== 200) throw new FetchProblem(`the answer is HTTP ${response.status}, not 200`);
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new FetchProblem(`the content type is ${type || '(none)'}, not application/json`);
    const text = await readCapped(response, limits.maxBytes);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new FetchProblem('the body is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FetchProblem('the body is not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    await response.body?.cancel().catch(() => undefined);
    if (error instanceof FetchProblem) throw error;
    throw new FetchProblem(`reading the answer failed: ${(error as Error).message}`);
  }
}
