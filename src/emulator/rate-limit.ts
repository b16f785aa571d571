/**
 * Okta-style rate limits: a 60-second window per bucket that starts with the bucket's first request (Okta's
 * windows are not aligned to the wall clock), reported on every response as `X-Rate-Limit-Limit`,
 * `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (UTC epoch seconds).
 */
import type { Clock } from './clock.ts';
import { OktaApiError } from './errors.ts';

const WINDOW_MS = 60_000;

interface Window {
  startedAt: number;
  used: number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Charges one call to `key`, whose ceiling is `limit` calls a minute. */
  take(key: string, limit: number): RateLimitVerdict {
    const now = this.#clock.now();
    let window = this.#windows.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      window = { startedAt: now, used: 0 };
      this.#windows.set(key, window);
    }
    const allowed = window.used < limit;
    if (allowed) window.used++;
    return {
      allowed,
      headers: {
        'x-rate-limit-limit': String(limit),
        'x-rate-limit-remaining': String(Math.max(0, limit - window.used)),
        'x-rate-limit-reset': String(Math.ceil((window.startedAt + WINDOW_MS) / 1000)),
      },
    };
  }

  /** Like `take`, but throws Okta's 429 (E0000047, with the headers) when the bucket is spent. */
  charge(key: string, limit: number): Record<string, string> {
    const verdict = this.take(key, limit);
    if (!verdict.allowed) throw new OktaApiError('E0000047', { headers: verdict.headers });
    return verdict.headers;
  }

  reset(): void {
    this.#windows.clear();
  }
}
