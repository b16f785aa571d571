/**
 * Service clients, scope grants and client assertions for emulator tests, written straight into the org's store
 * so token tests do not depend on the registration endpoints. Keys are generated at run time with jose.
 *
 * `mintAssertion` builds a minimal correct assertion; negative tests change it through one `mutate` callback
 * (oauth4webapi's `modifyAssertion` pattern) rather than through a list of boolean flags.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { epochSeconds } from '../../src/emulator/clock.ts';
import { oktaId } from '../../src/emulator/ids.ts';
import type { ClientMetadata, GrantRecord, StoredJwk } from '../../src/emulator/store.ts';
import { ADMIN_USER } from '../../src/emulator/store.ts';
import { call, putServiceApp, type CallResult, type TestOrg } from './emulator.ts';

export type AssertionAlg = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512';

export interface ClientKey {
  alg: AssertionAlg;
  /** Undefined for a kid-less key. */
  kid: string | undefined;
  privateKey: CryptoKey;
  /** The public JWK as Okta stores it: `use: null`, `kid` null when kid-less. */
  publicJwk: StoredJwk;
}

export interface ServiceClient {
  clientId: string;
  keys: ClientKey[];
}

export interface ServiceClientOptions {
  /** How many key pairs to generate. Default 1. Ignored when `reuse` is given. */
  keys?: number;
  /** Algorithm of generated keys. Default RS256, the guide's choice. */
  alg?: AssertionAlg;
  /** Store the key without a kid and mint assertions without one. Default false. */
  kidless?: boolean;
  /** Key pairs generated earlier (RSA generation is slow): registered instead of new ones. */
  reuse?: ClientKey[];
  /** Metadata to override, e.g. `{ application_type: 'web' }`. */
  metadata?: Partial<ClientMetadata>;
}

export interface MintableAssertion {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Generates one key pair the way the guide's mkjwk settings do (RSA 2048 or the alg's curve), kid = RFC 7638 thumbprint. */
export async function generateClientKey(alg: AssertionAlg = 'RS256', options: { kidless?: boolean } = {}): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { modulusLength: 2048 });
  const jwk: JWK = await exportJWK(publicKey);
  const kid = options.kidless ? undefined : await calculateJwkThumbprint(jwk);
  return { alg, kid, privateKey, publicJwk: { ...(jwk as Record<string, unknown>), kty: jwk.kty!, kid: kid ?? null, use: null } };
}

/** Registers an ACTIVE DCR-style service client (private_key_jwt, client_credentials) in the org's store. */
export async function createServiceClient(org: TestOrg, options: ServiceClientOptions = {}): Promise<ServiceClient> {
  const keys =
    options.reuse ??
    (await Promise.all(Array.from({ length: options.keys ?? 1 }, () => generateClientKey(options.alg ?? 'RS256', { kidless: options.kidless ?? false }))));
  const clientId = oktaId('0oa');
  putServiceApp(org, clientId, {
    client_name: `test-service-${clientId}`,
    jwks: { keys: keys.map((k) => structuredClone(k.publicJwk)) },
    ...options.metadata,
  });
  return { clientId, keys };
}

/** Grants `scopeId` to the client, as `POST /api/v1/apps/{appId}/grants` with issuer = org URL would. */
export function grant(org: TestOrg, clientId: string, scopeId: string): GrantRecord {
  const now = new Date(org.clock.now()).toISOString();
  const record: GrantRecord = {
    id: oktaId('oag'),
    appId: clientId,
    issuer: org.url,
    scopeId,
    status: 'ACTIVE',
    source: 'ADMIN',
    created: now,
    lastUpdated: now,
    createdBy: { id: ADMIN_USER.id, type: 'User' },
  };
  org.emulator.store.grants.set(record.id, record);
  return record;
}

/** The token endpoint of the org, the only audience Okta accepts. */
export function tokenUrl(org: TestOrg): string {
  return `${org.url}/oauth2/v1/token`;
}

/**
 * A correct assertion for `client`, signed with its first key: header `{alg, kid?, typ}`, payload
 * `{iss, sub, aud, iat, exp: iat + 300, jti}` on the org's clock. `mutate` may change or delete anything first.
 */
export async function mintAssertion(org: TestOrg, client: ServiceClient, mutate?: (assertion: MintableAssertion) => void): Promise<string> {
  const key = client.keys[0];
  if (!key) throw new TypeError('the client has no key to sign with');
  const iat = epochSeconds(org.clock);
  const assertion: MintableAssertion = {
    header: { alg: key.alg, typ: 'JWT', ...(key.kid === undefined ? {} : { kid: key.kid }) },
    payload: { iss: client.clientId, sub: client.clientId, aud: tokenUrl(org), iat, exp: iat + 300, jti: randomUUID() },
  };
  mutate?.(assertion);
  // CompactSign, not SignJWT: the payload goes out exactly as mutated, strings where numbers belong included.
  return new CompactSign(new TextEncoder().encode(JSON.stringify(assertion.payload)))
    .setProtectedHeader(assertion.header as { alg: string })
    .sign(key.privateKey);
}

/** The client_credentials form for an assertion. */
export function clientCredentialsForm(assertion: string, scope: string): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  };
}

/** POSTs `form` to the token endpoint, form-encoded, with no Authorization header. */
export function requestToken(org: TestOrg, form: Record<string, string>): Promise<CallResult> {
  return call(org, 'POST', '/oauth2/v1/token', { body: new URLSearchParams(form), auth: null });
}

/** A fresh access token for `client` with `scope` (which must be granted); throws on any other answer. */
export async function fetchAccessToken(org: TestOrg, client: ServiceClient, scope: string): Promise<string> {
  const res = await requestToken(org, clientCredentialsForm(await mintAssertion(org, client), scope));
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return (res.body as { access_token: string }).access_token;
}
