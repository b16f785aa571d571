/**
 * Fault injection, so the harness's retry, rate-limit and cleanup paths are tested rather than hoped for.
 * Faults apply to the routes named in `routes` (all routes when absent), before or after the org acts:
 * - `latencyMs`: answer this much later;
 * - `errorRate`: answer 500 E0000009 without acting;
 * - `dropRate`: act, then drop the connection without an answer (the answer is lost; the change is made);
 * - `rateLimitRate`: answer 429 E0000047 with rate-limit headers without acting (a 429 storm).
 */
import type { Clock } from './clock.ts';

export interface FaultOptions {
  /**
   * Which requests the faults hit: entries like `POST /api/v1/apps/:appId/grants` (a route, as the
   * emulator declares it), `GET` (a method) or `/api/v1/` (a path prefix). Default: every request.
   */
  routes?: string[];
  /** Extra milliseconds before each answer. Default 0. */
  latencyMs?: number;
  /** Share of requests (0 to 1) answered 500 without being processed. Default 0. */
  errorRate?: number;
  /** Share of requests (0 to 1) processed, then dropped without an answer. Default 0. */
  dropRate?: number;
  /** Share of requests (0 to 1) answered 429 without being processed. Default 0. */
  rateLimitRate?: number;
  /** A random source in [0, 1); tests pass a seeded one. Default `Math.random`. */
  random?: () => number;
}

export type FaultVerdict = 'none' | 'error' | 'drop' | 'rate-limit';

function rate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!(v >= 0 && v <= 1)) throw new TypeError(`faults.${name} must be a number from 0 to 1, got ${String(value)}`);
  return v;
}

/** A small seeded generator (mulberry32), for repeatable fault runs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  readonly #o: Required<Omit<FaultOptions, 'routes'>> & { routes?: string[] };
  /** How many of each fault were injected, for tests and the bench. */
  readonly counts = { error: 0, drop: 0, 'rate-limit': 0 };

  constructor(options: FaultOptions = {}) {
    this.#o = {
      routes: options.routes,
      latencyMs: Math.max(0, options.latencyMs ?? 0),
      errorRate: rate('errorRate', options.errorRate),
      dropRate: rate('dropRate', options.dropRate),
      rateLimitRate: rate('rateLimitRate', options.rateLimitRate),
      random: options.random ?? Math.random,
    };
  }

  get latencyMs(): number {
    return this.#o.latencyMs;
  }

  /** False when nothing is injected: the request path then skips faults altogether. */
  get active(): boolean {
    const o = this.#o;
    return o.latencyMs > 0 || o.errorRate > 0 || o.dropRate > 0 || o.rateLimitRate > 0;
  }

  applies(method: string, routePath: string | undefined, path: string): boolean {
    if (!this.active) return false;
    const routes = this.#o.routes;
    if (!routes || routes.length === 0) return true;
    return routes.some((r) => r === method || r === `${method} ${routePath}` || (r.startsWith('/') && path.startsWith(r)));
  }

  /** Draws the fault for one request (one draw per kind, so rates are independent of each other). */
  draw(): FaultVerdict {
    const { random, errorRate, dropRate, rateLimitRate } = this.#o;
    let verdict: FaultVerdict = 'none';
    if (random() < rateLimitRate) verdict = 'rate-limit';
    else if (random() < errorRate) verdict = 'error';
    else if (random() < dropRate) verdict = 'drop';
    if (verdict !== 'none') this.counts[verdict]++;
    return verdict;
  }

  /** The 429 headers of a storm: nothing left, reset a second from now. */
  static stormHeaders(clock: Clock, limit: number): Record<string, string> {
    return {
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': '0',
      'x-rate-limit-reset': String(Math.ceil(clock.now() / 1000) + 1),
    };
  }
}
