/**
 * A bounded store of single-use markers (`jti`s of client assertions, SETs and DPoP proofs), each kept until the
 * moment its token would fail its own time check anyway (`forgetAt`). Memory is bounded without weakening replay
 * protection: a marker is forgotten only after `forgetAt`, never to make room. When the store holds `max` live
 * markers, `remember` refuses the newcomer instead (the caller answers with its endpoint's error), and there is
 * room again as soon as the oldest markers expire.
 */
export class ReplayMarkers {
  readonly #markers = new Map<string, number>();
  readonly #max: number;
  /** When the last sweep ran (ms); sweeps are linear, so they run at most once a second unless the store is full. */
  #lastSweep = -Infinity;
  /** The earliest `forgetAt` in the store (a lower bound): a full store with nothing yet expired skips the sweep. */
  #earliest = Infinity;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`max must be a positive integer, got ${max}`);
    this.#max = max;
  }

  /** How many markers are kept, expired ones not yet swept included. */
  get size(): number {
    return this.#markers.size;
  }

  get max(): number {
    return this.#max;
  }

  /**
   * Whether `key` was used and its marker is still live at `now`. A marker past its `forgetAt` counts as gone
   * even before a sweep removes it, so whether a `jti` may be used again never depends on when the last sweep ran.
   */
  has(key: string, now: number): boolean {
    const forgetAt = this.#markers.get(key);
    return forgetAt !== undefined && forgetAt > now;
  }

  keys(): IterableIterator<string> {
    return this.#markers.keys();
  }

  /**
   * Records `key` until `forgetAt` (ms) and returns true; or returns false, recording nothing, when `max` live
   * markers are kept at `now`. A key already kept (live, or expired and not yet swept) takes the later
   * `forgetAt`, never an earlier one.
   */
  remember(key: string, forgetAt: number, now: number): boolean {
    const kept = this.#markers.get(key);
    if (kept !== undefined) {
      if (forgetAt > kept) this.#markers.set(key, forgetAt);
      return true;
    }
    if (!this.hasRoom(now)) return false;
    this.#markers.set(key, forgetAt);
    if (forgetAt < this.#earliest) this.#earliest = forgetAt;
    return true;
  }

  /** Forgets expired markers (at most once a second, or whenever the store is full); true when one more fits. */
  hasRoom(now: number): boolean {
    const full = this.#markers.size >= this.#max;
    if ((full && this.#earliest <= now) || now - this.#lastSweep >= 1000) this.sweep(now);
    return this.#markers.size < this.#max;
  }

  /** Forgets every marker whose `forgetAt` has passed. */
  sweep(now: number): void {
    this.#lastSweep = now;
    let earliest = Infinity;
    for (const [key, forgetAt] of this.#markers) {
      if (forgetAt <= now) this.#markers.delete(key);
      else if (forgetAt < earliest) earliest = forgetAt;
    }
    this.#earliest = earliest;
  }

  clear(): void {
    this.#markers.clear();
    this.#lastSweep = -Infinity;
    this.#earliest = Infinity;
  }
}
