/**
 * Paces calls by what the org says about its budget: `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` on
 * every answer. While budget is left, calls go at once; when it is spent (or a 429 says so), the next call
 * waits until the reset, and not a moment of fixed sleep otherwise. The clock and the wait are injected so
 * tests and the bench roll windows without sleeping.
 */

export interface SendClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds (tests advance a manual clock instead). */
  sleep(ms: number): Promise<void>;
}

/** Past the reset, in case our clock runs a little ahead of the org's. */
export const RESET_MARGIN_MS = 250;
/** A 429 without usable headers: wait this long, doubling up to a minute. */
const FALLBACK_WAIT_MS = 1000;

export interface RateLimitState {
  limit?: number;
  remaining?: number;
  /** The reset of the current window, ms since the epoch. */
  resetAt?: number;
}

export class RateLimitPacer {
  readonly #clock: SendClock;
  #blockedUntil = 0;
  #fallback = FALLBACK_WAIT_MS;
  /** Milliseconds spent waiting for the window. */
  waitedMs = 0;
  /** What the last answer said. */
  readonly state: RateLimitState = {};

  constructor(clock: SendClock) {
    this.#clock = clock;
  }

  /** Reads an answer's headers; a spent budget blocks the next call until the reset. */
  observe(headers: Headers | undefined): void {
    if (!headers) return;
    const limit = Number(headers.get('x-rate-limit-limit') ?? NaN);
    const remaining = Number(headers.get('x-rate-limit-remaining') ?? NaN);
    const reset = Number(headers.get('x-rate-limit-reset') ?? NaN);
    if (Number.isFinite(limit)) this.state.limit = limit;
    if (Number.isFinite(remaining)) this.state.remaining = remaining;
    if (Number.isFinite(reset)) this.state.resetAt = reset * 1000;
    if (Number.isFinite(remaining) && remaining <= 0 && Number.isFinite(reset)) this.#blockedUntil = Math.max(this.#blockedUntil, reset * 1000 + RESET_MARGIN_MS);
  }

  /** A 429: the call did not happen; the next one waits for the reset (or a growing fallback without one). */
  rateLimited(headers: Headers | undefined): void {
    const reset = Number(headers?.get('x-rate-limit-reset') ?? NaN);
    const now = this.#clock.now();
    if (Number.isFinite(reset) && reset * 1000 + RESET_MARGIN_MS > now) {
      this.#blockedUntil = Math.max(this.#blockedUntil, reset * 1000 + RESET_MARGIN_MS);
      this.#fallback = FALLBACK_WAIT_MS;
    } else {
      this.#blockedUntil = Math.max(this.#blockedUntil, now + this.#fallback);
      this.#fallback = Math.min(this.#fallback * 2, 60_000);
    }
  }

  /** How long the next call would wait now. */
  pending(): number {
    return Math.max(0, this.#blockedUntil - this.#clock.now());
  }

  /** Waits until the next call may go; `onWait` hears how long, before the wait. */
  async ready(onWait?: (ms: number) => void): Promise<void> {
    const wait = this.pending();
    if (wait <= 0) return;
    onWait?.(wait);
    const started = this.#clock.now();
    await this.#clock.sleep(wait);
    this.waitedMs += this.#clock.now() - started;
  }
}
