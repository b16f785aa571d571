/**
 * `okta-risk env --flow ssf`: the SSF receiver collection's environment, ready for the Postman app. Postman
 * cannot sign a SET, so the environment carries one: signed with the transmitter's key (whose public half the
 * JWKS URL must serve, checked first, as `verify --flow ssf` checks it), `iss` the environment's issuer, `aud`
 * the org URL, one `user-risk-change` about the subject (none → low, the smallest change there is).
 */
import { DEFAULTS } from '../config/settings.ts';
import { isLoopbackHost } from '../config/org-url.ts';
import { SSF_PROVIDER_TYPE, type SsfVariableName } from '../collection/ssf-collection.ts';
import type { ProviderKeyPair } from '../keys/index.ts';
import { checkJwksUrl } from '../ssf/check-jwks-url.ts';
import { assertSetSigningKey } from '../ssf/set-signing-key.ts';
import { mintSecurityEventToken } from '../ssf/mint-security-event-token.ts';
import { userRiskChange } from '../ssf/signal-events.ts';
import type { PostmanEnvironment } from './postman-environment.ts';
import { renderSsfEnvironment } from './render-ssf-environment.ts';

/** Options of {@link prepareSsfEnvironment}. */
export interface PrepareSsfEnvironmentOptions {
  /** The org URL, `https://{yourOktaDomain}`: `url`, and the SET's `aud`. */
  orgUrl: string;
  /** The org's API token: `apikey` (typed secret), nowhere else. */
  apiToken: string;
  /** The Security Events Provider's name: `providerName`. */
  providerName: string;
  /** Where the org fetches the transmitter's keys: `jwksUrl`. It must serve `keys`' public JWK under its `kid`. */
  jwksUrl: string;
  /** The transmitter's RSA key pair (RS256): the SET is signed with it. */
  keys: ProviderKeyPair;
  /** The key file `keys` came from, for messages. */
  keyFile: string;
  /** The sign-in email of the user the SET is about: `subjectEmail`. */
  subjectEmail: string;
  /** How many times the System Log is queried. Default 10 (`DEFAULTS.logPollAttempts`). */
  logPollAttempts?: number;
  /** Milliseconds between System Log queries. Default 1000 (`DEFAULTS.logPollIntervalMs`). */
  logPollIntervalMs?: number;
  /** The clock: the SET's `iat`, `runStartedAt` and the export time. Default `Date.now`. */
  now?: () => number;
  /** The fetch the JWKS URL is checked with. Default the global `fetch`. */
  fetch?: typeof fetch;
}

/** The environment and what the user needs to know about the SET it holds (nothing secret). */
export interface PreparedSsfEnvironment {
  environment: PostmanEnvironment<SsfVariableName>;
  /** The provider's issuer, and the SET's `iss`: `<JWKS URL origin>/okta-risk-harness/postman-<kid>`. */
  issuer: string;
  /** The SET's `jti`; Okta takes it once. */
  jti: string;
  /** The SET's `iat`. */
  issuedAt: Date;
}

/** The SET's reason, as admins read it in the System Log. */
export const POSTMAN_SET_REASON = 'okta-risk-harness Postman environment: a test signal, no action needed';

/**
 * Checks the JWKS URL, signs the SET and renders the environment. Throws HarnessError `ERR_KEY_INVALID` (exit
 * 2) for a key that is not RS256 and `ERR_SETTING_INVALID` naming `--jwks-url` for a URL that does not serve the
 * key; nothing is written by this function.
 */
export async function prepareSsfEnvironment(options: PrepareSsfEnvironmentOptions): Promise<PreparedSsfEnvironment> {
  const { orgUrl, keys } = options;
  const now = options.now ?? Date.now;
  assertSetSigningKey(keys, options.keyFile);
  // A standalone emulator on this machine fetches from this machine too; a real org only from public https.
  await checkJwksUrl({
    url: options.jwksUrl,
    orgUrl,
    publicJwk: { ...keys.publicJwk, kid: keys.kid },
    allowPrivateHosts: isLoopbackHost(new URL(orgUrl).hostname),
    ...(options.fetch && { fetch: options.fetch }),
  });
  // One issuer per key: an environment made again for a fresh SET still matches the provider it registered.
  const issuer = `${new URL(options.jwksUrl).origin}/okta-risk-harness/postman-${encodeURIComponent(keys.kid)}`;
  const issuedAt = new Date(now());
  const set = await mintSecurityEventToken({
    issuer,
    orgUrl,
    privateJwk: keys.privateJwk,
    kid: keys.kid,
    events: userRiskChange({ email: options.subjectEmail, current: 'low', previous: 'none', reason: POSTMAN_SET_REASON, atMs: issuedAt.getTime() }),
    currentDate: issuedAt,
  });
  const environment = renderSsfEnvironment(
    {
      url: orgUrl,
      apikey: options.apiToken,
      providerName: options.providerName,
      providerType: SSF_PROVIDER_TYPE,
      issuer,
      jwksUrl: options.jwksUrl,
      securityEventToken: set.token,
      subjectEmail: options.subjectEmail,
      // A second of slack: the org's clock and ours may disagree by a little.
      runStartedAt: new Date(issuedAt.getTime() - 1000).toISOString(),
      expectedEventCount: '1',
      logPollAttempts: String(options.logPollAttempts ?? DEFAULTS.logPollAttempts),
      logPollIntervalMs: String(options.logPollIntervalMs ?? DEFAULTS.logPollIntervalMs),
      // Postman has no runner to send a rate-limited push again: a 429 fails the push's test.
      retryOnRateLimit: 'false',
    },
    { currentDate: issuedAt },
  );
  return { environment, issuer, jti: set.jti, issuedAt };
}
