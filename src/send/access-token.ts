/**
 * The provider's access token for `okta.riskEvents.manage`: a client assertion signed with the service app's
 * private key, traded at the org's token endpoint (`client_credentials`, `private_key_jwt`). No admin token
 * is involved. The token is kept until shortly before it expires and then re-minted; the clock is injected.
 */
import { mintClientAssertion } from '../assertion/mint-client-assertion.ts';
import { HarnessError } from '../errors.ts';
import type { ProviderKeyPair } from '../keys/index.ts';
import type { SendClock } from './pace.ts';

export const EVENTS_SCOPE = 'okta.riskEvents.manage';
/** A token is replaced this long before it expires, so no call goes out with a token about to die. */
export const TOKEN_REFRESH_MARGIN_MS = 120_000;
const ATTEMPTS = 4;

export interface AccessTokensOptions {
  orgUrl: string;
  clientId: string;
  keys: ProviderKeyPair;
  clock: SendClock;
  /** How the user named the client id and key, for messages. Default `--client-id` and `--key`. */
  settings?: { clientId: string; key: string };
  /** Per-request timeout. Default 30 000 ms. */
  timeoutMs?: number;
}

export class AccessTokens {
  readonly #o: AccessTokensOptions;
  #token: string | undefined;
  #expiresAt = 0;
  /** Tokens minted so far. */
  minted = 0;

  constructor(options: AccessTokensOptions) {
    this.#o = options;
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
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const issuedAt = clock.now();
      // A fresh assertion (and jti) per attempt: a lost answer may have used the last one up.
      const assertion = await mintClientAssertion({ clientId, orgUrl, privateKey: keys.privateJwk, kid: keys.kid, alg: keys.alg, currentDate: new Date(issuedAt) });
      let response: Response;
      try {
        response = await fetch(`${orgUrl}/oauth2/v1/token`, {
          method: 'POST',
          headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            scope: EVENTS_SCOPE,
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
          }),
          signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000),
        });
      } catch (error) {
        lastProblem = (error as Error).message;
        await clock.sleep(250 * 2 ** attempt);
        continue;
      }
      const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
      if (response.status === 200 && typeof body.access_token === 'string') {
        this.#token = body.access_token;
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
