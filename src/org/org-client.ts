/**
 * The harness's own HTTP client for the org, for what does not belong in the shared collection: the
 * reachability check, the provider guard, and cleanup. It honours Okta's rate-limit headers, waits out a 429
 * until `X-Rate-Limit-Reset`, and retries idempotent calls on 5xx or a broken connection, with backoff.
 * Non-idempotent calls are never retried blindly: the caller checks the org first.
 */
import { HarnessError } from '../errors.ts';
import { causeOf, withRetries, type RetryCause } from '../run/retry.ts';
import { waitVisibly } from '../run/wait.ts';
import { describeFetchFailure } from './fetch-failure.ts';
import { httpRequest, type HeaderBag, type HttpAnswer } from './http-request.ts';

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
  /** Where a wait of a second or more is announced (`waiting 42 s for the rate limit of GET /api/v1/logs`). */
  log?: (line: string) => void;
}

export interface OrgResponse<T = unknown> {
  status: number;
  headers: HeaderBag;
  body: T;
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE', 'HEAD']);

/** A real-time sleep; an abort of `signal` ends it early and clears its timer, so nothing holds the process open. */
export const realSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Milliseconds to wait before the next call, from Okta's rate-limit headers (0 when there is budget left). */
export function rateLimitWait(headers: HeaderBag, now: number): number {
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
  readonly #log: ((line: string) => void) | undefined;
  /** Per path family: when the org last said the budget is spent, wait until then. */
  readonly #blockedUntil = new Map<string, number>();
  /** Every call that was sent again, and why, in order: the run's summary names them. */
  readonly retries: Array<{ call: string; cause: RetryCause }> = [];

  constructor(options: OrgClientOptions) {
    this.orgUrl = options.orgUrl;
    this.#apiToken = options.apiToken;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#log = options.log;
  }

  /**
   * Answers whether the org is there at all (no token needed), retried like any GET: its discovery
   * document, which also says the URL the org calls itself (`issuer`). A hint comes back when that differs
   * from the URL in use (`localhost` for `127.0.0.1`, a custom domain): assertions' `aud` and grants'
   * `issuer` are built from the URL in use, and the org checks them against its own.
   */
  async assertReachable(setting: string): Promise<Reachability> {
    let response: OrgResponse<{ issuer?: unknown } | undefined>;
    try {
      response = await this.request('GET', '/.well-known/openid-configuration', undefined, { auth: false });
    } catch (error) {
      const cause = error instanceof HarnessError ? error.cause : error;
      throw new HarnessError('ERR_ORG_UNREACHABLE', `The org at ${this.orgUrl} cannot be reached: ${describeFetchFailure(cause, this.orgUrl)}.`, {
        setting,
        fix: `check ${setting} and your network; the URL must be the org's own (https://<your org>.okta.com).`,
        cause,
      });
    }
    if (response.status >= 500) {
      throw new HarnessError('ERR_ORG_UNREACHABLE', `The org at ${this.orgUrl} cannot be reached: it answered HTTP ${response.status} to ${this.#maxAttempts} attempts.`, {
        setting,
        fix: `check ${setting}, and the org's status (status.okta.com for an Okta org), then try again.`,
      });
    }
    const issuer = response.status === 200 && typeof response.body?.issuer === 'string' ? response.body.issuer : undefined;
    return { issuer, hint: issuer === undefined ? undefined : issuerHint(this.orgUrl, issuer, setting) };
  }

  /** The harness's own calls wait out rate limits whatever happens (cleanup must get through), announced. */
  #wait(ms: number, what: string): Promise<boolean> {
    return waitVisibly(ms, what, { sleep: this.#sleep, log: this.#log });
  }

  /**
   * One call, with Okta's rate limits honoured and retries where they are safe: always after a 429 (the org
   * did nothing), and after a 5xx or a lost connection for GET, PUT and DELETE, or for a POST the caller marks
   * `idempotent` (a lifecycle deactivate).
   */
  async request<T = unknown>(method: string, path: string, body?: unknown, options: { idempotent?: boolean; auth?: boolean } = {}): Promise<OrgResponse<T>> {
    const idempotent = options.idempotent ?? IDEMPOTENT.has(method);
    const family = path.split('?')[0]!.replace(/\/[A-Za-z0-9]{15,}/g, '/:id');
    const call = `${method} ${family}`;
    type Sent = { response?: OrgResponse<T>; error?: unknown; wait: number };
    const outcome = await withRetries<Sent>({
      maxAttempts: this.#maxAttempts,
      allows: () => idempotent,
      delayMs: (cause, made, sent) => (cause.kind === 'rate-limited' ? Math.max(sent.wait, backoff(made)) : backoff(made)),
      // A 429 wait is announced (it may be long); a backoff of a few seconds is not.
      wait: async (ms, cause) => (cause.kind === 'rate-limited' ? this.#wait(ms, `the rate limit of ${call}`) : (await this.#sleep(ms), true)),
      before: async () => {
        const blocked = (this.#blockedUntil.get(family) ?? 0) - this.#now();
        if (blocked > 0) await this.#wait(blocked, `the rate limit of ${call}`);
        return 'go';
      },
      attempt: async () => {
        let response: HttpAnswer;
        try {
          response = await httpRequest(this.orgUrl + path, {
            method,
            headers: {
              accept: 'application/json',
              ...(options.auth === false ? {} : { authorization: `SSWS ${this.#apiToken}` }),
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            timeoutMs: this.#timeoutMs,
          });
        } catch (error) {
          return { result: { error, wait: 0 }, cause: { kind: 'no-answer', detail: describeFetchFailure(error, this.orgUrl + path) } };
        }
        const { text } = response;
        const wait = rateLimitWait(response.headers, this.#now());
        if (wait > 0) this.#blockedUntil.set(family, this.#now() + wait);
        const sent: Sent = { response: { status: response.status, headers: response.headers, body: (text ? safeJson(text) : undefined) as T }, wait };
        // A 429 means the call did not happen, so even a POST may be sent again once the window resets.
        return { result: sent, cause: causeOf({ status: response.status }) };
      },
    });
    for (const cause of outcome.retries) this.retries.push({ call, cause });
    // A status is an answer, even a 429 or a 5xx after the last attempt: the caller judges it.
    if (outcome.result?.response) return outcome.result.response;
    const lastError = outcome.result?.error;
    const why = lastError === undefined ? 'no answer' : describeFetchFailure(lastError, this.orgUrl + path);
    throw new HarnessError('ERR_RUN_BROKEN', `${method} ${path} failed after ${this.#maxAttempts} attempts: ${why}.`, {
      fix: 'check that the org is up, then run `okta-risk cleanup` to undo what this run left behind.',
      cause: lastError,
    });
  }
}

export interface Reachability {
  /** The URL the org calls itself (its discovery document's `issuer`), when it says. */
  issuer?: string;
  /** Set when `issuer` is not the URL in use: what that breaks and the URL to use instead. */
  hint?: string;
}

/** A hint when the org calls itself by another URL than the one in use; undefined when they agree. */
export function issuerHint(orgUrl: string, issuer: string, setting: string): string | undefined {
  let own: string;
  try {
    own = new URL(issuer).origin;
  } catch {
    return undefined;
  }
  if (own === new URL(orgUrl).origin) return undefined;
  return (
    `the org calls itself ${own} (the issuer in its discovery document), not ${orgUrl} as ${setting} says. ` +
    `Client assertions (aud) and scope grants (issuer) are checked against the org's own URL: set ${setting} to ${own}.`
  );
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
