/**
 * The emulator's sense of time. Injected so tests can expire tokens and roll rate-limit windows
 * without sleeping (jose's `currentDate` idea, applied to a whole org).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | Date = Date.now()) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new TypeError('ManualClock.advance() takes a non-negative number of milliseconds');
    this.#now += ms;
  }

  set(to: number | Date): void {
    this.#now = typeof to === 'number' ? to : to.getTime();
  }
}

/** Whole seconds since the epoch, as JWT claims and rate-limit headers use them. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/** Okta's timestamp style: ISO 8601 in UTC with milliseconds. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
