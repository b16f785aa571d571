/**
 * Okta-style rate limits: a 60-second window per bucket that starts with the bucket's first request (Okta's
 * windows are not aligned to the wall clock), reported on every response as `X-Rate-Limit-Limit`,
 * `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (UTC epoch seconds).
 *
 * Nobody can spend another caller's budget from outside. A route that authenticates its caller (the default,
 * see `Route.rateLimit`) is charged only once the caller is known, to that caller's own bucket: one per route
 * and principal (the API token, or the OAuth client of an access token), charged before the handler acts. A
 * request the route refuses for its credentials (none, wrong, expired, revoked) is charged to the route's one
 * shared bucket of refused requests instead, so a flood of them ends in 429s for the flood alone. Okta documents
 * per-org and per-client limits but not how refused requests count; this is the emulator's choice.
 *
 * Memory is bounded: at most {@link RATE_LIMIT_WINDOWS_MAX} windows at once. Windows whose minute is over are
 * dropped first; when every window is still running, a request that would open a new one is answered 429
 * (stricter than forgetting a running window, which would hand its caller a fresh budget), with the reset of
 * the oldest window, the first one to end. Only authenticated callers open windows beyond one per route.
 */
import type { Clock } from './clock.ts';
import { OktaApiError } from './errors.ts';

const WINDOW_MS = 60_000;

/** Rate-limit windows kept at once. Okta documents none; the emulator's memory bound. */
export const RATE_LIMIT_WINDOWS_MAX = 10_000;

interface Window {
  startedAt: number;
  used: number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

/** A request whose route authenticates its caller: which route, at what limit, and what was charged. */
interface OpenRequest {
  route: string;
  limit: number;
  headers?: Record<string, string>;
}

export class RateLimiter {
  /** In the order the windows started, so the ended ones are at the front. */
  readonly #windows = new Map<string, Window>();
  readonly #clock: Clock;
  readonly #max: number;
  readonly #open = new WeakMap<object, OpenRequest>();

  /** @param maxWindows windows kept at once; default {@link RATE_LIMIT_WINDOWS_MAX} (tests pass a small one). */
  constructor(clock: Clock, maxWindows = RATE_LIMIT_WINDOWS_MAX) {
    this.#clock = clock;
    this.#max = maxWindows;
  }

  /** How many windows are kept. */
  get size(): number {
    return this.#windows.size;
  }

  /** Charges one call to `key`, whose ceiling is `limit` calls a minute. */
  take(key: string, limit: number): RateLimitVerdict {
    const now = this.#clock.now();
    let window = this.#windows.get(key);
    if (window && now - window.startedAt >= WINDOW_MS) {
      // Deleted and set again, so the map stays in start order.
      this.#windows.delete(key);
      window = undefined;
    }
    if (!window) {
      this.#dropEnded(now);
      if (this.#windows.size >= this.#max) return this.#full(limit);
      window = { startedAt: now, used: 0 };
      this.#windows.set(key, window);
    }
    const allowed = window.used < limit;
    if (allowed) window.used++;
    return { allowed, headers: headers(limit, limit - window.used, window.startedAt) };
  }

  /** Like `take`, but throws Okta's 429 (E0000047, with the headers) when the bucket is spent. */
  charge(key: string, limit: number): Record<string, string> {
    const verdict = this.take(key, limit);
    if (!verdict.allowed) throw new OktaApiError('E0000047', { headers: verdict.headers });
    return verdict.headers;
  }

  /** The router marks a request whose route authenticates its caller; nothing is charged yet. */
  open(request: object, route: string, limit: number): void {
    this.#open.set(request, { route, limit });
  }

  /**
   * Charges an opened request to its caller's own bucket (`caller` names the principal), once; throws 429
   * when it is spent. A request the router did not open (its handler charges its own bucket) is left alone.
   */
  chargeCaller(request: object, caller: string): void {
    this.#chargeOnce(request, (open) => `${open.route} caller ${caller}`);
  }

  /** Charges an opened request the route refuses for its credentials to the route's bucket of refused requests. */
  chargeRefused(request: object): void {
    this.#chargeOnce(request, (open) => `${open.route} refused`);
  }

  /** The headers of what an opened request was charged, for its answer (empty when nothing was). */
  headersOf(request: object): Record<string, string> {
    return this.#open.get(request)?.headers ?? {};
  }

  reset(): void {
    this.#windows.clear();
  }

  #chargeOnce(request: object, key: (open: OpenRequest) => string): void {
    const open = this.#open.get(request);
    if (!open || open.headers) return;
    const verdict = this.take(key(open), open.limit);
    open.headers = verdict.headers;
    if (!verdict.allowed) throw new OktaApiError('E0000047', { headers: verdict.headers });
  }

  #dropEnded(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.startedAt < WINDOW_MS) break;
      this.#windows.delete(key);
    }
  }

  /** No room for a new window: 429, resetting when the oldest running window ends. */
  #full(limit: number): RateLimitVerdict {
    const oldest = this.#windows.values().next().value as Window;
    return { allowed: false, headers: headers(limit, 0, oldest.startedAt) };
  }
}

function headers(limit: number, remaining: number, startedAt: number): Record<string, string> {
  return {
    'x-rate-limit-limit': String(limit),
    'x-rate-limit-remaining': String(Math.max(0, remaining)),
    'x-rate-limit-reset': String(Math.ceil((startedAt + WINDOW_MS) / 1000)),
  };
}
