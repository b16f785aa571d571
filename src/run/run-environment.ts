/**
 * The run's Postman environment, owned by the run context and written only through it. Between Newman runs
 * it is a plain map; while a Newman run is going it is bound to that run's live scope, so a value the runner
 * sets between two requests (a fresh client assertion, the next events batch) is what the next request reads,
 * and a value a script set (clientId, previousProviderAction) is what the runner reads.
 */
import type { VariableName } from '../collection/collection.ts';

export type EnvironmentMap = Record<string, string>;

/** The part of a Newman run's environment scope (postman-collection's VariableScope) the runner uses. */
export interface LiveScope {
  get(key: string): unknown;
  set(key: string, value: string, type?: string): void;
  /** Every variable, by name. */
  toObject(): Record<string, unknown>;
}

/** `K`: the collection's variable names (default: the Risk API collection's). */
export class RunEnvironment<K extends string = VariableName> {
  #values: EnvironmentMap;
  #live: LiveScope | undefined;

  constructor(initial: EnvironmentMap = {}) {
    this.#values = { ...initial };
  }

  /** A variable's value; '' when it is unset. */
  get(key: K): string {
    if (this.#live) {
      const value = this.#live.get(key);
      return value == null ? '' : String(value);
    }
    return this.#values[key] ?? '';
  }

  set(key: K, value: string): void {
    this.#values[key] = value;
    this.#live?.set(key, value);
  }

  /** A copy of every variable, to hand to a Newman run or to render the kept Postman environment. */
  values(): EnvironmentMap {
    if (!this.#live) return { ...this.#values };
    const out: EnvironmentMap = {};
    for (const [key, value] of Object.entries(this.#live.toObject())) out[key] = value == null ? '' : String(value);
    return out;
  }

  /** A Newman run started (the step runner's business only): reads and writes go to its scope until `unbind`. */
  bind(live: LiveScope): void {
    this.#live = live;
  }

  /** The Newman run ended with these values: they are the environment now. */
  unbind(final: EnvironmentMap): void {
    this.#live = undefined;
    this.#values = { ...final };
  }
}
