/**
 * The provider's access token for `okta.riskEvents.manage`: a client assertion signed with the service app's
 * private key, traded at the org's token endpoint (`client_credentials`, `private_key_jwt`). No admin token
 * is involved. The token is kept until shortly before it expires and then re-minted; the clock is injected.
 *
 * DPoP (RFC 9449, as Okta applies it to service apps): with `dpop`, every token request carries a proof made
 * with an ES256 key held only in memory (a fresh key per run, separate from the assertion key, as Okta
 * advises); Okta's `use_dpop_nonce` challenge is answered with its `DPoP-Nonce`. Without `dpop`, the answer
 * "The DPoP proof JWT header is missing." (the app is DPoP-bound) switches DPoP on, as `verify` does. The
 * org decides the binding: a token it answers as `token_type: DPoP` goes out as `Authorization: DPoP` with a
 * proof carrying `ath`; a Bearer token (an app that is not bound) as Bearer.
 */
import { mintClientAssertion } from '../assertion/mint-client-assertion.ts';
import { DPOP_DETECTED_REASONS, dpopSwitchLine, generateDpopKey, mintDpopProof, type DpopKey } from '../dpop/mint-dpop-proof.ts';
import { HarnessError } from '../errors.ts';
import type { ProviderKeyPair } from '../keys/index.ts';
import { DPOP_HEADER, DPOP_NONCE_HEADER, dpopTokenAnswer } from '../okta/dpop.ts';
import type { SendClock } from './pace.ts';

export const EVENTS_SCOPE = 'okta.riskEvents.manage';
/** A token is replaced this long before it expires, so no call goes out with a token about to die. */
export const TOKEN_REFRESH_MARGIN_MS = 120_000;
const ATTEMPTS = 4;
/** DPoP answers a renewal follows (the switch, then a nonce, then a rotated nonce) before it calls the org broken. */
const DPOP_CHALLENGES_MAX = 3;

export interface AccessTokensOptions {
  orgUrl: string;
  clientId: string;
  keys: ProviderKeyPair;
  clock: SendClock;
  /** How the user named the client id and key, for messages. Default `--client-id` and `--key`. */
  settings?: { clientId: string; key: string };
  /** Per-request timeout. Default 30 000 ms. */
  timeoutMs?: number;
  /** Send DPoP proofs from the first token request (`--dpop`). Unset: only once the org says the app is DPoP-bound. */
  dpop?: boolean;
  /** Hears the switch to DPoP (a line for stderr; it holds no secret). */
  log?: (line: string) => void;
}

export class AccessTokens {
  readonly #o: AccessTokensOptions;
  #token: string | undefined;
  #tokenType: 'Bearer' | 'DPoP' = 'Bearer';
  #expiresAt = 0;
  #dpop: boolean;
  #dpopKey: DpopKey | undefined;
  #nonce: string | undefined;
  /** Tokens minted so far. */
  minted = 0;

  constructor(options: AccessTokensOptions) {
    this.#o = options;
    this.#dpop = options.dpop ?? false;
  }

  /** Whether the token held is DPoP-bound (the org answered `token_type: DPoP`). */
  get dpopBound(): boolean {
    return this.#token !== undefined && this.#tokenType === 'DPoP';
  }

  /**
   * The headers that authorize one request to the org's resource server with a valid token: `Authorization:
   * Bearer`, or for a DPoP-bound token `Authorization: DPoP` and a fresh proof for `method` and `url` with `ath`.
   * A proof is single-use: call this for every attempt.
   */
  async authorize(method: string, url: string): Promise<Record<string, string>> {
    const token = await this.get();
    if (this.#tokenType !== 'DPoP') return { authorization: `Bearer ${token}` };
    return { authorization: `DPoP ${token}`, [DPOP_HEADER]: await this.#proof(method, url, token) };
  }

  async #proof(htm: string, url: string, accessToken?: string): Promise<string> {
    this.#dpopKey ??= await generateDpopKey();
    // The nonce is the token endpoint's; a resource request's proof carries the token's hash instead.
    return mintDpopProof({ key: this.#dpopKey, htm, url, nonce: accessToken === undefined ? this.#nonce : undefined, accessToken, currentDate: new Date(this.#o.clock.now()) });
  }

  /** A token valid for at least the refresh margin: the one held, or a new one. */
  async get(): Promise<string> {
    if (this.#token && this.#expiresAt - this.#o.clock.now() > TOKEN_REFRESH_MARGIN_MS) return this.#token;
    return this.renew();
  }

  /** Drops the token held (the org refused it) and mints a new one. */
  async renew(): Promise<string> {
    const { orgUrl, clientId, keys, clock } = this.#o;
    const names = this.#o.settings ?? { clientId: '--client-id', key: '--key' };
    let lastProblem = 'no answer';
    const tokenUrl = `${orgUrl}/oauth2/v1/token`;
    let challenges = 0;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const issuedAt = clock.now();
      // A fresh assertion (and jti) per attempt: a lost answer may have used the last one up. So is the proof.
      const assertion = await mintClientAssertion({ clientId, orgUrl, privateKey: keys.privateJwk, kid: keys.kid, alg: keys.alg, currentDate: new Date(issuedAt) });
      const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
      if (this.#dpop) headers[DPOP_HEADER] = await this.#proof('POST', tokenUrl);
      let response: Response;
      let text: string;
      try {
        response = await fetch(tokenUrl, {
          method: 'POST',
          headers,
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            scope: EVENTS_SCOPE,
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
          }),
          signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000),
        });
        text = await response.text();
      } catch (error) {
        lastProblem = (error as Error).message;
        await clock.sleep(250 * 2 ** attempt);
        continue;
      }
      const nonce = response.headers.get(DPOP_NONCE_HEADER) ?? '';
      const dpopAnswer = dpopTokenAnswer(response.status, { [DPOP_NONCE_HEADER]: nonce }, text);
      // A challenge is the protocol, not a failure: it is answered at once and spends no attempt.
      if (dpopAnswer === 'nonce' && this.#dpop && challenges < DPOP_CHALLENGES_MAX) {
        challenges++;
        this.#nonce = nonce;
        attempt--;
        continue;
      }
      if (dpopAnswer === 'required' && !this.#dpop && challenges < DPOP_CHALLENGES_MAX) {
        challenges++;
        this.#dpop = true;
        this.#o.log?.(dpopSwitchLine(DPOP_DETECTED_REASONS.required));
        attempt--;
        continue;
      }
      let body: { access_token?: string; token_type?: string; expires_in?: number; error?: string; error_description?: string } = {};
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null) body = parsed as typeof body;
      } catch {
        // Not JSON: described by its status below.
      }
      if (response.status === 200 && typeof body.access_token === 'string') {
        this.#token = body.access_token;
        this.#tokenType = typeof body.token_type === 'string' && body.token_type.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
        this.#expiresAt = issuedAt + (Number(body.expires_in) || 3600) * 1000;
        this.minted++;
        return this.#token;
      }
      if (response.status === 429 || response.status >= 500) {
        lastProblem = `HTTP ${response.status}`;
        const reset = Number(response.headers.get('x-rate-limit-reset'));
        await clock.sleep(response.status === 429 && Number.isFinite(reset) ? Math.max(0, reset * 1000 - clock.now()) + 250 : 250 * 2 ** attempt);
        continue;
      }
      throw new HarnessError('ERR_SETTING_INVALID', `The org refused a token for ${names.clientId} ${clientId}: HTTP ${response.status} ${body.error ?? ''}: ${body.error_description ?? 'no description'}.`, {
        setting: names.clientId,
        fix: `check that ${names.clientId} is the service app's client id, that ${names.key} is the private key of a public key registered on it, and that the app is granted ${EVENTS_SCOPE}.`,
      });
    }
    throw new HarnessError('ERR_RUN_BROKEN', `The org's token endpoint did not give a token after ${ATTEMPTS} attempts (${lastProblem}).`, {
      fix: 'check that the org is up, then send again.',
    });
  }
}
