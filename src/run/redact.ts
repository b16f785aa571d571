/**
 * Keeps secrets out of everything a run writes or prints. newman-reporter-htmlextra puts the whole
 * environment into its page and Newman's reporters print what the scripts log; so every text the harness
 * emits passes through one Redactor that knows the run's secrets (the API token, private key members, client
 * assertions, access tokens) in every encoding they travel in.
 */
import { PRIVATE_JWK_MEMBERS } from '../okta/jwk.ts';

export const REDACTED = '[REDACTED]';

/** Values shorter than this are not treated as secrets: replacing them would mangle ordinary text. */
const MIN_SECRET_LENGTH = 8;

export class Redactor {
  readonly #secrets = new Set<string>();
  #pattern: RegExp | undefined;

  /** Registers secret values; their JSON-escaped and URL-encoded forms are redacted too. */
  add(...values: Array<string | undefined | null>): this {
    for (const value of values) {
      if (!value || value.length < MIN_SECRET_LENGTH) continue;
      for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) this.#secrets.add(form);
    }
    this.#pattern = undefined;
    return this;
  }

  /** Registers every private member of a JWK (d, p, q, dp, dq, qi, and k for symmetric keys: the contract's set). */
  addPrivateJwk(jwk: Record<string, unknown>): this {
    // `oth` (multi-prime RSA) is an array, not a string: no key the harness loads carries it.
    for (const member of PRIVATE_JWK_MEMBERS) {
      const v = jwk[member];
      if (typeof v === 'string') this.add(v);
    }
    return this;
  }

  get size(): number {
    return this.#secrets.size;
  }

  redact(text: string): string {
    if (this.#secrets.size === 0) return text;
    this.#pattern ??= new RegExp(
      [...this.#secrets]
        .sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.#pattern, REDACTED);
  }

  /**
   * Routes a stream's writes (stdout, stderr) through `redact` until the returned function is called, so
   * Newman's live cli reporter cannot print a secret either.
   */
  guard(stream: NodeJS.WriteStream): () => void {
    const original = stream.write;
    const redactor = this;
    stream.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : chunk;
      return (original as (...args: unknown[]) => boolean).call(this, typeof text === 'string' ? redactor.redact(text) : text, ...rest);
    } as typeof stream.write;
    return () => {
      stream.write = original;
    };
  }
}
