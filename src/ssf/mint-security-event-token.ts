/**
 * Mints a Security Event Token (RFC 8417) the way Okta's SSF receiver takes it: a compact JWS with header
 * `{alg: "RS256", kid, typ: "secevent+jwt"}` and claims `iss` (the provider's registered issuer), `aud` (the
 * org URL, exactly), `iat` (integer seconds), `jti` and `events`, and no `exp` (SSF forbids it). Every event is
 * checked against Okta's rules (`src/okta/ssf.ts`) before anything is signed, so a SET the org would refuse
 * for its claims is never minted.
 */
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { claimFailureText, eventProblems, eventTypeRule, SET_ALGORITHMS, SET_TYP } from '../okta/ssf.ts';

/** The longest `jti` Okta's receiver is sent by the harness (the emulator remembers up to this length). */
export const MAX_SET_JTI_LENGTH = 256;

/** The SET `events` claim: event type URI → event. */
export type SetEvents = Record<string, Record<string, unknown>>;

/** Options of {@link mintSecurityEventToken}. */
export interface MintSecurityEventTokenOptions {
  /** The issuer the provider was registered with (`settings.issuer`): the SET's `iss`. */
  issuer: string;
  /** The org URL, scheme and host, no path or trailing slash: the SET's `aud`, which Okta compares exactly. */
  orgUrl: string;
  /** The transmitter's private RSA JWK (with `d`); its public half is what the provider's JWKS serves. */
  privateJwk: JWK;
  /** The header `kid`: the key's id in the JWKS. Default: the JWK's `kid`. */
  kid?: string;
  /** Event URI → event. Each must be one of Okta's six accepted types, with its required claims. */
  events: SetEvents;
  /** The time the SET is issued at (`iat`). Default: now. */
  currentDate?: Date;
  /** The `jti` claim (1 to 256 characters); Okta ignores a repeated one. Default: `crypto.randomUUID()`. */
  jti?: string;
}

/** A minted SET and the claims that identify it. */
export interface MintedSecurityEventToken {
  /** The compact JWS: the body of `POST /security/api/v1/security-events`. A secret until sent. */
  token: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
}

// A sender mints many SETs with one key: import it once per JWK object.
const importedKeys = new WeakMap<JWK, Promise<CryptoKey>>();

function signingKey(privateJwk: JWK): Promise<CryptoKey> {
  let key = importedKeys.get(privateJwk);
  if (!key) {
    const alg = SET_ALGORITHMS[0];
    key = importJWK({ ...privateJwk, alg }, alg) as Promise<CryptoKey>;
    importedKeys.set(privateJwk, key);
    key.catch(() => importedKeys.delete(privateJwk));
  }
  return key;
}

/**
 * Signs a SET. Throws `TypeError` for options outside their documented ranges (an unknown event type, an event
 * missing a required claim, a key that is not a private RSA key): those are programming errors of the caller,
 * which builds events from validated input.
 */
export async function mintSecurityEventToken(options: MintSecurityEventTokenOptions): Promise<MintedSecurityEventToken> {
  const { issuer, orgUrl, privateJwk, events } = options;
  const currentDate = options.currentDate ?? new Date();
  const jti = options.jti ?? randomUUID();
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('mintSecurityEventToken: issuer must be a non-empty string');
  if (typeof orgUrl !== 'string' || !/^https?:\/\/[^/\s?#]+$/.test(orgUrl)) {
    throw new TypeError(`mintSecurityEventToken: orgUrl must be a scheme and host with no path or trailing slash, got ${String(orgUrl)}`);
  }
  if (privateJwk?.kty !== 'RSA' || typeof privateJwk.d !== 'string') {
    throw new TypeError("mintSecurityEventToken: privateJwk must be a private RSA JWK (Okta's receiver takes RS256 SETs only)");
  }
  const kid = options.kid ?? privateJwk.kid;
  if (typeof kid !== 'string' || kid === '') throw new TypeError('mintSecurityEventToken: kid is required (the JWK has none)');
  if (!(currentDate instanceof Date) || Number.isNaN(currentDate.getTime())) throw new TypeError('mintSecurityEventToken: currentDate must be a valid Date');
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_SET_JTI_LENGTH) {
    throw new TypeError(`mintSecurityEventToken: jti must be 1 to ${MAX_SET_JTI_LENGTH} characters`);
  }
  const uris = typeof events === 'object' && events !== null && !Array.isArray(events) ? Object.keys(events) : [];
  if (uris.length === 0) throw new TypeError('mintSecurityEventToken: events must hold at least one event');
  for (const uri of uris) {
    const rule = eventTypeRule(uri);
    if (!rule) throw new TypeError(`mintSecurityEventToken: ${uri} is not an event type Okta's receiver accepts`);
    const problems = eventProblems(rule, events[uri]);
    if (problems.length > 0) throw new TypeError(`mintSecurityEventToken: ${claimFailureText(problems)}`);
  }
  const iat = Math.floor(currentDate.getTime() / 1000);
  const token = await new SignJWT({ events })
    .setProtectedHeader({ alg: SET_ALGORITHMS[0], kid, typ: SET_TYP })
    .setIssuer(issuer)
    .setAudience(orgUrl)
    .setIssuedAt(iat)
    .setJti(jti)
    .sign(await signingKey(privateJwk));
  return { token, jti, iat };
}
