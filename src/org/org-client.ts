/**
 * The harness's own HTTP client for the org, for what does not belong in the shared collection: the
 * reachability check, the provider guard, and cleanup. It honours Okta's rate-limit headers, waits out a 429
 * until `X-Rate-Limit-Reset`, and retries idempotent calls on 5xx or a broken connection, with backoff.
 * Non-idempotent calls are never retried blindly: the caller checks the org first.
 */
import { HarnessError } from '../errors.ts';

export interface OrgClientOptions {
  orgUrl: string;
  apiToken: string;
  /** Milliseconds since the epoch; injected so tests can run against an org with a manual clock. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per call, counting the first. Default 4. */
  maxAttempts?: number;
  /** Per-request timeout in milliseconds. Default 15 000. */
  timeoutMs?: number;
}

export interface OrgResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE', 'HEAD']);

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds to wait before the next call, from Okta's rate-limit headers (0 when there is budget left). */
export function rateLimitWait(headers: Headers, now: number): number {
  const remaining = headers.get('x-rate-limit-remaining');
  const reset = Number(headers.get('x-rate-limit-reset'));
  if (remaining === null || Number(remaining) > 0 || !Number.isFinite(reset)) return 0;
  // Reset is in whole epoch seconds; wait just past it.
  return Math.max(0, reset * 1000 - now) + 50;
}

export class OrgClient {
  readonly orgUrl: string;
  readonly #apiToken: string;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  /** Per path family: when the org last said the budget is spent, wait until then. */
  readonly #blockedUntil = new Map<string, number>();

  constructor(options: OrgClientOptions) {
    this.orgUrl = options.orgUrl;
    this.#apiToken = options.apiToken;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Answers whether the org is there at all (no token needed): its public keys endpoint. */
  async assertReachable(setting: string): Promise<void> {
    try {
      const response = await fetch(`${this.orgUrl}/oauth2/v1/keys`, { signal: AbortSignal.timeout(this.#timeoutMs) });
      await response.arrayBuffer();
      if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      throw new HarnessError('ERR_ORG_UNREACHABLE', `The org at ${this.orgUrl} cannot be reached: ${(error as Error).message}.`, {
        setting,
        fix: `check ${setting} and your network; the URL must be the org's own (https://<your org>.okta.com).`,
        cause: error,
      });
    }
  }

  /**
   * One call, with Okta's rate limits honoured and retries where they are safe: always after a 429 (the org
   * did nothing), and after a 5xx or a lost connection for GET, PUT and DELETE, or for a POST the caller marks
   * `idempotent` (a lifecycle deactivate).
   */
  async request<T = unknown>(method: string, path: string, body?: unknown, options: { idempotent?: boolean } = {}): Promise<OrgResponse<T>> {
    const idempotent = options.idempotent ?? IDEMPOTENT.has(method);
    const family = path.split('?')[0]!.replace(/\/[A-Za-z0-9]{15,}/g, '/:id');
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const blocked = (this.#blockedUntil.get(family) ?? 0) - this.#now();
      if (blocked > 0) await this.#sleep(blocked);
      let response: Response;
      try {
        response = await fetch(this.orgUrl + path, {
          method,
          headers: {
            accept: 'application/json',
            authorization: `SSWS ${this.#apiToken}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        lastError = error;
        if (!idempotent || attempt === this.#maxAttempts) break;
        await this.#sleep(backoff(attempt));
        continue;
      }
      const text = await response.text();
      const wait = rateLimitWait(response.headers, this.#now());
      if (wait > 0) this.#blockedUntil.set(family, this.#now() + wait);
      // A 429 means the call did not happen, so even a POST may be sent again once the window resets.
      if (response.status === 429 && attempt < this.#maxAttempts) {
        await this.#sleep(Math.max(wait, backoff(attempt)));
        continue;
      }
      if (response.status >= 500 && idempotent && attempt < this.#maxAttempts) {
        lastError = new Error(`HTTP ${response.status}`);
        await this.#sleep(backoff(attempt));
        continue;
      }
      return { status: response.status, headers: response.headers, body: (text ? safeJson(text) : undefined) as T };
    }
    throw new HarnessError('ERR_RUN_BROKEN', `${method} ${path} failed after ${this.#maxAttempts} attempts: ${(lastError as Error)?.message ?? 'no answer'}.`, {
      fix: 'check that the org is up, then run `okta-risk cleanup` to undo what this run left behind.',
      cause: lastError,
    });
  }
}

function backoff(attempt: number): number {
  return Math.min(250 * 2 ** (attempt - 1), 4000);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
