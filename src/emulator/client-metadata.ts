/**
 * Validation of Dynamic Client Registration metadata (`POST`/`PUT /oauth2/v1/clients`), against the OAuth
 * OpenAPI `Client` schema and Okta's documented rules. Every failure is Okta's
 * `400 {"error":"invalid_client_metadata","error_description":"`<field>`: <why>"}`, worded like the spec's own
 * example ("`client_name`: The field can't be left blank."). Checks run in a fixed order and the first failure
 * wins, so one bad field always gives the same answer.
 *
 * Nothing is coerced and nothing is dropped: a value of the wrong JSON type, or a field the schema does not
 * have, is rejected rather than ignored.
 */
import { createHash, createPublicKey, timingSafeEqual } from 'node:crypto';
import { isJwkKeyType, privateMembersOf, PUBLIC_JWK_MEMBERS } from '../okta/jwk.ts';
import { CLIENT_NAME_MAX, CLIENT_URI_MAX, JWK_KID_MAX, JWK_RSA_MAX_BITS } from '../okta/limits.ts';
import { OAuthError } from './errors.ts';
import type { ClientMetadata, StoredJwk } from './store.ts';

export const APPLICATION_TYPES = ['browser', 'native', 'service', 'web'] as const;
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'none', 'private_key_jwt'] as const;
export const RESPONSE_TYPES = ['code', 'id_token', 'none', 'token'] as const;
export const GRANT_TYPES = [
  'authorization_code',
  'client_credentials',
  'implicit',
  'interaction_code',
  'password',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:saml2-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:openid:params:grant-type:ciba',
  'urn:okta:params:oauth:grant-type:otp',
  'urn:okta:params:oauth:grant-type:oob',
  'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-oob',
] as const;
const REQUEST_OBJECT_SIGNING_ALGS = ['ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512'] as const;
const ID_TOKEN_ENCRYPTION_ALGS = ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'] as const;

/** Methods that authenticate with a shared secret: Okta generates one for them. */
export const SECRET_AUTH_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_jwt', 'client_secret_post']);

/** The grant types a `service` client may have besides the required `client_credentials`. */
const SERVICE_GRANT_TYPES: ReadonlySet<string> = new Set(['client_credentials', 'urn:ietf:params:oauth:grant-type:saml2-bearer']);

/** Grant types that need no redirect URI and no response type (the spec's `redirect_uris` note). */
const REDIRECTLESS_GRANT_TYPES = ['client_credentials', 'password'];

const READ_ONLY_FIELDS = ['client_id', 'client_id_issued_at', 'client_secret', 'client_secret_expires_at'] as const;
/**
 * The client metadata a DCR request may set. All but `client_name` and `token_endpoint_auth_method` have the
 * same name in an app's `settings.oauthClient` (app-replace.ts maps those two elsewhere in the app).
 */
export const WRITABLE_METADATA = [
  'application_type',
  'client_name',
  'client_uri',
  'frontchannel_logout_session_required',
  'frontchannel_logout_uri',
  'grant_types',
  'id_token_encrypted_response_alg',
  'initiate_login_uri',
  'jwks',
  'jwks_uri',
  'logo_uri',
  'policy_uri',
  'post_logout_redirect_uris',
  'redirect_uris',
  'request_object_signing_alg',
  'response_types',
  'token_endpoint_auth_method',
  'tos_uri',
] as const;
const WRITABLE_FIELDS = new Set<string>(WRITABLE_METADATA);

const BLANK = "The field can't be left blank.";
const tooLong = (max: number): string => `The field must be at most ${max} characters.`;

/** Counted in code points, as JSON Schema's `maxLength` (and so Okta's) counts them. */
function longerThan(value: string, max: number): boolean {
  return value.length > max && [...value].length > max;
}

/** The client a `PUT` replaces: its read-only members may be repeated in the body but must match. */
export interface ReplacedClient {
  clientId: string;
  /** `client_id_issued_at`, seconds. */
  issuedAt: number;
  applicationType: string;
  /** The current secret, when the client has one. */
  secret: string | undefined;
}

/** Okta's `invalid_client_metadata` answer, naming the field the way the spec's example does. */
export function invalidClientMetadata(field: string, message: string): OAuthError {
  return new OAuthError('invalid_client_metadata', { description: `\`${field}\`: ${message}`, detail: `${field}: ${message}` });
}

type Body = Record<string, unknown>;

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAbsoluteUri(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) && URL.canParse(value);
}

function enumValue<T extends string>(body: Body, field: string, allowed: readonly T[]): T | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidClientMetadata(field, 'The field must be a string.');
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidClientMetadata(field, `'${value}' isn't a valid value. Valid values: [${allowed.join(', ')}].`);
  }
  return value as T;
}

/** An array of strings; `null` only where the spec allows it (it then reads as empty). */
function stringArray(body: Body, field: string, nullable: boolean): string[] | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (value === null && nullable) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidClientMetadata(field, 'The field must be an array of strings.');
  }
  if (new Set(value).size !== value.length) throw invalidClientMetadata(field, "The field can't contain the same value twice.");
  return [...value];
}

function enumArray<T extends string>(body: Body, field: string, allowed: readonly T[], nullable: boolean): T[] | undefined {
  const values = stringArray(body, field, nullable);
  for (const value of values ?? []) {
    if (!(allowed as readonly string[]).includes(value)) {
      throw invalidClientMetadata(field, `'${value}' isn't a valid value. Valid values: [${allowed.join(', ')}].`);
    }
  }
  return values as T[] | undefined;
}

/** A URI-valued field: an absolute URI, or `null` where the schema marks it nullable. */
function uriValue(body: Body, field: string, nullable: boolean): string | null | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (typeof value !== 'string') throw invalidClientMetadata(field, 'The field must be a string.');
  if (longerThan(value, CLIENT_URI_MAX)) throw invalidClientMetadata(field, tooLong(CLIENT_URI_MAX));
  if (!isAbsoluteUri(value)) throw invalidClientMetadata(field, 'The field must be an absolute URI.');
  return value;
}

function uriArray(body: Body, field: string): string[] | undefined {
  const values = stringArray(body, field, true);
  for (const value of values ?? []) {
    // Before the value is echoed in a message: a refusal stays small too.
    if (longerThan(value, CLIENT_URI_MAX)) throw invalidClientMetadata(field, `Each URI must be at most ${CLIENT_URI_MAX} characters.`);
    if (!isAbsoluteUri(value)) throw invalidClientMetadata(field, `'${value}' isn't an absolute URI.`);
    if (value.includes('#')) throw invalidClientMetadata(field, `'${value}' can't include a fragment component.`);
  }
  return values;
}

/** Compares secrets in constant time (over their digests, so the length leaks nothing either). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Read-only members: refused on registration; on replacement they may be repeated but must match. */
function checkReadOnly(body: Body, replacing: ReplacedClient | undefined, method: string): void {
  for (const field of READ_ONLY_FIELDS) {
    if (!(field in body)) continue;
    const value = body[field];
    if (!replacing) throw invalidClientMetadata(field, "The field is read-only and can't be set.");
    if (field === 'client_secret' && !SECRET_AUTH_METHODS.has(method)) {
      throw invalidClientMetadata(field, `'client_secret' can't be used when 'token_endpoint_auth_method' is '${method}'.`);
    }
    const matches =
      field === 'client_id'
        ? value === replacing.clientId
        : field === 'client_id_issued_at'
          ? value === replacing.issuedAt
          : field === 'client_secret'
            ? typeof value === 'string' && replacing.secret !== undefined && sameSecret(value, replacing.secret)
            : // The GET shows 0 for a client with a secret and leaves the member out otherwise.
              value === (replacing.secret === undefined ? null : 0);
    if (!matches) throw invalidClientMetadata(field, 'The field is read-only and must match the current value.');
  }
}

/**
 * Validates a registration (`replacing` undefined) or a full replacement and returns the metadata to store,
 * with Okta's defaults filled in. Throws `invalid_client_metadata` on the first rule broken.
 */
export function validateClientMetadata(body: unknown, replacing?: ReplacedClient): ClientMetadata {
  if (!isObject(body)) throw new OAuthError('invalid_client_metadata', { detail: 'the body is not a JSON object' });

  for (const field of Object.keys(body)) {
    if (!WRITABLE_FIELDS.has(field) && !(READ_ONLY_FIELDS as readonly string[]).includes(field)) {
      throw invalidClientMetadata(field, "The field isn't a recognized client metadata field.");
    }
  }

  const name = body.client_name;
  if (name === undefined || name === null) throw invalidClientMetadata('client_name', BLANK);
  if (typeof name !== 'string') throw invalidClientMetadata('client_name', 'The field must be a string.');
  if (name.trim() === '') throw invalidClientMetadata('client_name', BLANK);
  if (longerThan(name, CLIENT_NAME_MAX)) throw invalidClientMetadata('client_name', tooLong(CLIENT_NAME_MAX));

  const applicationType = enumValue(body, 'application_type', APPLICATION_TYPES) ?? 'web';
  if (replacing && applicationType !== replacing.applicationType) {
    throw invalidClientMetadata('application_type', "The field can't be changed after the client is created.");
  }
  const method = enumValue(body, 'token_endpoint_auth_method', TOKEN_ENDPOINT_AUTH_METHODS) ?? 'client_secret_basic';
  checkReadOnly(body, replacing, method);

  const grantTypes = enumArray(body, 'grant_types', GRANT_TYPES, false) ?? ['authorization_code'];
  if (grantTypes.length === 0) throw invalidClientMetadata('grant_types', BLANK);
  const isService = applicationType === 'service';
  const responseTypes = enumArray(body, 'response_types', RESPONSE_TYPES, true) ?? (isService ? ['token'] : ['code']);
  const redirectUris = uriArray(body, 'redirect_uris') ?? [];
  const postLogoutRedirectUris = uriArray(body, 'post_logout_redirect_uris');
  const clientUri = uriValue(body, 'client_uri', true) ?? null;
  const logoUri = uriValue(body, 'logo_uri', true) ?? null;
  const extras: Record<string, unknown> = {};
  for (const field of ['policy_uri', 'tos_uri', 'frontchannel_logout_uri'] as const) {
    const value = uriValue(body, field, true);
    if (value !== undefined) extras[field] = value;
  }
  const initiateLoginUri = uriValue(body, 'initiate_login_uri', false);
  if (initiateLoginUri !== undefined) extras.initiate_login_uri = initiateLoginUri;
  if (postLogoutRedirectUris !== undefined) extras.post_logout_redirect_uris = postLogoutRedirectUris;
  const sessionRequired = body.frontchannel_logout_session_required;
  if (sessionRequired !== undefined) {
    if (typeof sessionRequired !== 'boolean') throw invalidClientMetadata('frontchannel_logout_session_required', 'The field must be a boolean.');
    extras.frontchannel_logout_session_required = sessionRequired;
  }
  const requestObjectAlg = enumValue(body, 'request_object_signing_alg', REQUEST_OBJECT_SIGNING_ALGS);
  if (requestObjectAlg !== undefined) extras.request_object_signing_alg = requestObjectAlg;
  const idTokenAlg = enumValue(body, 'id_token_encrypted_response_alg', ID_TOKEN_ENCRYPTION_ALGS);
  if (idTokenAlg !== undefined) extras.id_token_encrypted_response_alg = idTokenAlg;

  if (isService) {
    const other = grantTypes.find((g) => !SERVICE_GRANT_TYPES.has(g));
    if (other !== undefined) throw invalidClientMetadata('grant_types', `'${other}' can't be used by a 'service' client.`);
    if (!grantTypes.includes('client_credentials')) {
      throw invalidClientMetadata('grant_types', "A 'service' client must use the 'client_credentials' grant type.");
    }
    // The spec lets a client_credentials client send no response type at all (null or []).
    if (responseTypes.some((r) => r !== 'token')) {
      throw invalidClientMetadata('response_types', "A 'service' client can only use the 'token' response type.");
    }
    if (method === 'none') {
      throw invalidClientMetadata('token_endpoint_auth_method', "A 'service' client must authenticate; 'none' isn't allowed.");
    }
  }
  if (!grantTypes.some((g) => REDIRECTLESS_GRANT_TYPES.includes(g))) {
    if (redirectUris.length === 0) throw invalidClientMetadata('redirect_uris', BLANK);
    if (responseTypes.length === 0) throw invalidClientMetadata('response_types', BLANK);
  }

  const hasJwks = 'jwks' in body;
  const hasJwksUri = 'jwks_uri' in body;
  if (hasJwks && hasJwksUri) throw invalidClientMetadata('jwks_uri', "'jwks' and 'jwks_uri' can't both be set.");
  let jwksUri: string | undefined;
  if (hasJwksUri) {
    const value = body.jwks_uri;
    if (typeof value !== 'string') throw invalidClientMetadata('jwks_uri', 'The field must be a string.');
    if (longerThan(value, CLIENT_URI_MAX)) throw invalidClientMetadata('jwks_uri', tooLong(CLIENT_URI_MAX));
    if (!isAbsoluteUri(value) || new URL(value).protocol !== 'https:') {
      throw invalidClientMetadata('jwks_uri', "The field must be an absolute 'https' URI.");
    }
    jwksUri = value;
  }
  const jwks = hasJwks ? validateJwks(body.jwks) : undefined;
  if (method === 'private_key_jwt' && !hasJwks && !hasJwksUri) {
    throw invalidClientMetadata('jwks', "The field can't be left blank when 'token_endpoint_auth_method' is 'private_key_jwt'. Provide 'jwks' or 'jwks_uri'.");
  }

  const metadata: ClientMetadata = {
    client_name: name,
    client_uri: clientUri,
    logo_uri: logoUri,
    redirect_uris: redirectUris,
    response_types: responseTypes,
    grant_types: grantTypes,
    token_endpoint_auth_method: method,
    application_type: applicationType,
    ...extras,
  };
  if (jwks) metadata.jwks = jwks;
  if (jwksUri !== undefined) metadata.jwks_uri = jwksUri;
  return metadata;
}

// ---- JWKS: public RSA or EC keys, each checked on its own, then as a set ----

/** Okta's ceiling on an app's keys (the JWKS API's "maximum number of keys allowed (50)"). */
export const MAX_JWKS_KEYS = 50;
const MIN_RSA_BITS = 2048;
/** Coordinate size in bytes and the one signing algorithm of each curve. */
const CURVES: Record<string, { bytes: number; alg: string }> = {
  'P-256': { bytes: 32, alg: 'ES256' },
  'P-384': { bytes: 48, alg: 'ES384' },
  'P-521': { bytes: 66, alg: 'ES512' },
};
const RSA_ALGS = { sig: ['RS256', 'RS384', 'RS512'], enc: ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'] };
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const badParameter = (name: string) => invalidClientMetadata('jwks', `Invalid value specified for key '${name}' parameter`);

function base64urlBytes(value: unknown): Buffer | undefined {
  return typeof value === 'string' && BASE64URL.test(value) ? Buffer.from(value, 'base64url') : undefined;
}

function rsaModulusBits(modulus: Buffer): number {
  let i = 0;
  while (i < modulus.length && modulus[i] === 0) i++;
  if (i === modulus.length) return 0;
  return (modulus.length - i - 1) * 8 + modulus[i]!.toString(2).length;
}

function validateJwk(key: unknown): StoredJwk {
  if (!isObject(key)) throw invalidClientMetadata('jwks', 'Each key must be a JSON object.');
  // A client registers public keys only; the member sets are the shared contract's (src/okta/jwk.ts).
  const [secret] = privateMembersOf(key);
  if (secret !== undefined) {
    throw invalidClientMetadata('jwks', `The 'jwks' must contain public keys only: remove the private key parameter '${secret}'.`);
  }
  const kty = key.kty;
  if (!isJwkKeyType(kty)) throw badParameter('kty');
  const unknown = Object.keys(key).find((m) => !PUBLIC_JWK_MEMBERS[kty].has(m));
  if (unknown !== undefined) throw invalidClientMetadata('jwks', `Unrecognized key parameter '${unknown}' for a '${kty}' key.`);
  const { kid, use, alg } = key;
  if (kid !== undefined && kid !== null && (typeof kid !== 'string' || kid === '' || longerThan(kid, JWK_KID_MAX))) throw badParameter('kid');
  if (use !== undefined && use !== null && use !== 'sig' && use !== 'enc') throw badParameter('use');
  if (alg !== undefined && alg !== null && typeof alg !== 'string') throw badParameter('alg');

  if (kty === 'RSA') {
    const n = base64urlBytes(key.n);
    const e = base64urlBytes(key.e);
    if (!n || !e) throw invalidClientMetadata('jwks', "An RSA key must have the 'n' and 'e' parameters as base64url strings.");
    const allowed = use === 'enc' ? RSA_ALGS.enc : use === 'sig' ? RSA_ALGS.sig : [...RSA_ALGS.sig, ...RSA_ALGS.enc];
    if (typeof alg === 'string' && !allowed.includes(alg)) throw badParameter('alg');
    const bits = rsaModulusBits(n);
    if (bits < MIN_RSA_BITS) {
      throw invalidClientMetadata('jwks', "RSA key length in the 'jwks' is less than '2,048' bits for the given key.");
    }
    // Worded after Okta's minimum text; the maximum is the emulator's (src/okta/limits.ts).
    if (bits > JWK_RSA_MAX_BITS) {
      throw invalidClientMetadata('jwks', `RSA key length in the 'jwks' is more than '${JWK_RSA_MAX_BITS.toLocaleString('en-US')}' bits for the given key.`);
    }
  } else {
    if (use === 'enc') throw invalidClientMetadata('jwks', "Only RSA keys can be used for encryption ('use': 'enc').");
    const curve = typeof key.crv === 'string' ? CURVES[key.crv] : undefined;
    if (key.crv !== undefined && !curve) throw badParameter('crv');
    const x = base64urlBytes(key.x);
    const y = base64urlBytes(key.y);
    if (!curve || !x || !y) throw invalidClientMetadata('jwks', "An EC key must have the 'crv', 'x' and 'y' parameters as base64url strings.");
    if (typeof alg === 'string' && alg !== curve.alg) throw badParameter('alg');
    if (x.length !== curve.bytes || y.length !== curve.bytes) throw invalidClientMetadata('jwks', `The 'x' and 'y' coordinates don't fit the curve '${String(key.crv)}'.`);
  }
  try {
    // The last word on whether the numbers make a key: an EC point off its curve fails here.
    const { kid: _kid, use: _use, alg: _alg, ...material } = key;
    createPublicKey({ key: material as never, format: 'jwk' });
  } catch {
    throw invalidClientMetadata('jwks', "A key in the 'jwks' isn't a valid public key.");
  }
  // Okta echoes `use: null` when the client did not say; every other member stays as sent.
  return { ...key, kty, use: use ?? null } as StoredJwk;
}

/** Validates a `jwks` member: `{keys: [...]}` of 1 to 50 public keys with unique `kid`s. */
export function validateJwks(value: unknown): { keys: StoredJwk[] } {
  if (!isObject(value) || !Array.isArray(value.keys) || Object.keys(value).length !== 1) {
    throw invalidClientMetadata('jwks', "The field must be a JSON Web Key Set: an object with a 'keys' array and nothing else.");
  }
  if (value.keys.length === 0) throw invalidClientMetadata('jwks', "The 'keys' array must contain at least one key.");
  if (value.keys.length > MAX_JWKS_KEYS) {
    throw invalidClientMetadata('jwks', `The 'jwks' can't contain more than ${MAX_JWKS_KEYS} keys.`);
  }
  const keys = value.keys.map(validateJwk);
  if (keys.length > 1 && keys.some((k) => k.kid === undefined || k.kid === null)) {
    throw invalidClientMetadata('jwks', 'Each key should have a unique kid when adding multiple keys.');
  }
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) {
    throw invalidClientMetadata('jwks', "All keys in the 'jwks' must have a unique `kid`.");
  }
  if (keys.filter((k) => k.use === 'enc').length > 1) {
    throw invalidClientMetadata('jwks', "The client can have only one active encryption key in the 'jwks'.");
  }
  return { keys };
}
