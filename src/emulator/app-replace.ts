/**
 * `PUT /api/v1/apps/{appId}` (`replaceApplication`) for the OIDC service apps the emulator holds: the
 * documented way to bind an app to DPoP ("GET the app, then PUT it back with `dpop_bound_access_tokens`:
 * true", ssf-dpop.md B1). The body is the whole app, as `GET` shows it; Okta ignores the system-assigned
 * members (`id`, `status`, `created`, `lastUpdated`, `_links`, …) and replaces everything else.
 *
 * Validation runs in a fixed order and the first broken rule wins, answered as Okta's `400 E0000001`
 * (`Api validation failed: <field>`, one cause). The OAuth members go through the same rules as Dynamic
 * Client Registration (`client-metadata.ts`), so an app the Apps API accepts is one DCR would accept.
 *
 * Choices where Okta is silent (listed in the README):
 * - `name` must be `oidc_client` and `signOnMode` `OPENID_CONNECT` (the schema's enum; an app cannot change kind).
 * - `label`, `settings`, `settings.oauthClient`, `settings.oauthClient.grant_types`, `credentials` and
 *   `credentials.oauthClient.token_endpoint_auth_method` are required: a replacement that leaves them out
 *   would fall back to defaults that break a service app, and the schema requires most of them.
 * - `token_endpoint_auth_method` and `client_id` cannot change here (the emulator's apps are the harness's
 *   `private_key_jwt` clients; Okta's rules for switching to a secret are not modelled).
 * - A member the schema does not have is refused; schema members the emulator does not model (CIBA,
 *   refresh tokens, `idp_initiated_login`, …) are refused too rather than silently dropped.
 * - `issuer_mode` accepts only `ORG_URL` (the emulator has no custom domain); `wildcard_redirect` only `DISABLED`.
 * - The spec's note that `dpop_bound_access_tokens: true` forbids `client_credentials` is stale (Okta's release
 *   notes and working clients contradict it) and is not applied.
 * - The presentation members `accessibility`, `visibility`, `settings.app`, `settings.notifications`, `notes`,
 *   `manualProvisioning`, `implicitAssignment` and `credentials.signing` / `userNameTemplate` are type-checked
 *   and not stored: the emulator always shows Okta's defaults for them.
 */
import { validateClientMetadata, WRITABLE_METADATA, type ReplacedClient } from './client-metadata.ts';
import { OAuthError, OktaApiError } from './errors.ts';
import type { AppRecord, ClientMetadata } from './store.ts';

type Body = Record<string, unknown>;

/** Members `GET` shows that Okta assigns and ignores in a replacement. */
const SYSTEM_MEMBERS = new Set(['id', 'status', 'created', 'lastUpdated', 'features', 'orn', '_links', '_embedded']);
/** Members type-checked as objects and not stored. */
const PRESENTATION_OBJECTS = new Set(['accessibility', 'visibility']);
const TOP_MEMBERS = new Set([...SYSTEM_MEMBERS, ...PRESENTATION_OBJECTS, 'name', 'label', 'signOnMode', 'settings', 'credentials']);
const SETTINGS_MEMBERS = new Set(['app', 'notifications', 'notes', 'manualProvisioning', 'implicitAssignment', 'oauthClient']);
const CREDENTIALS_MEMBERS = new Set(['oauthClient', 'signing', 'userNameTemplate']);
const CREDENTIALS_CLIENT_MEMBERS = new Set(['autoKeyRotation', 'client_id', 'client_secret', 'pkce_required', 'token_endpoint_auth_method']);
/**
 * `settings.oauthClient` members that are DCR client metadata under the same name: all of it but the name
 * (the app's `label`) and the auth method (under `credentials.oauthClient`).
 */
const DCR_MEMBERS: readonly string[] = WRITABLE_METADATA.filter((member) => member !== 'client_name' && member !== 'token_endpoint_auth_method');
/** Apps-API-only members of `settings.oauthClient` the emulator models. */
const APP_ONLY_MEMBERS = ['consent_method', 'dpop_bound_access_tokens', 'issuer_mode', 'wildcard_redirect'];
/** Schema members of `OpenIdConnectApplicationSettingsClient` the emulator does not model. */
const UNMODELLED_MEMBERS = new Set([
  'backchannel_authentication_request_signing_alg',
  'backchannel_custom_authenticator_id',
  'backchannel_token_delivery_mode',
  'idp_initiated_login',
  'network',
  'participate_slo',
  'refresh_token',
  'sector_identifier_uri',
  'subject_type',
]);

/** The Apps-API-only settings an app keeps in its metadata, which DCR neither shows nor replaces. */
export const APP_ONLY_METADATA = APP_ONLY_MEMBERS;

export const CONSENT_METHODS = ['REQUIRED', 'TRUSTED'] as const;

const BLANK = "The field can't be left blank.";

function fail(field: string, message: string): OktaApiError {
  return new OktaApiError('E0000001', { detail: field, causes: [`${field}: ${message}`] });
}

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredObject(body: Body, member: string, path: string): Body {
  const value = body[member];
  if (value === undefined || value === null) throw fail(path, BLANK);
  if (!isObject(value)) throw fail(path, 'The field must be a JSON object.');
  return value;
}

function onlyMembers(body: Body, allowed: ReadonlySet<string>, path: string): void {
  for (const member of Object.keys(body)) {
    if (!allowed.has(member)) throw fail(`${path}${member}`, "The field isn't a property of an OIDC application.");
  }
}

function optionalType(body: Body, member: string, path: string, type: 'boolean' | 'object'): void {
  const value = body[member];
  if (value === undefined) return;
  if (type === 'boolean' ? typeof value !== 'boolean' : !isObject(value)) {
    throw fail(`${path}${member}`, type === 'boolean' ? 'The field must be a boolean.' : 'The field must be a JSON object.');
  }
}

function exactString(body: Body, member: string, expected: string, changeMessage: string): void {
  const value = body[member];
  if (value === undefined || value === null || value === '') throw fail(member, BLANK);
  if (typeof value !== 'string') throw fail(member, 'The field must be a string.');
  if (value !== expected) throw fail(member, changeMessage);
}

/** The Apps-only settings: `consent_method`, `issuer_mode`, `wildcard_redirect`, `dpop_bound_access_tokens`. */
function appOnlySettings(client: Body): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const path = 'settings.oauthClient.';
  const consent = client.consent_method;
  if (consent !== undefined) {
    if (typeof consent !== 'string' || !(CONSENT_METHODS as readonly string[]).includes(consent)) {
      throw fail(`${path}consent_method`, `'${String(consent)}' isn't a valid value. Valid values: [${CONSENT_METHODS.join(', ')}].`);
    }
    out.consent_method = consent;
  }
  const issuerMode = client.issuer_mode;
  if (issuerMode !== undefined && issuerMode !== 'ORG_URL') {
    throw fail(`${path}issuer_mode`, "The org has no custom domain: the only valid value is 'ORG_URL'.");
  }
  const wildcard = client.wildcard_redirect;
  if (wildcard !== undefined && wildcard !== 'DISABLED') {
    throw fail(`${path}wildcard_redirect`, "A 'service' app has no redirect URIs: the only valid value is 'DISABLED'.");
  }
  const dpop = client.dpop_bound_access_tokens;
  if (dpop !== undefined) {
    if (typeof dpop !== 'boolean') throw fail(`${path}dpop_bound_access_tokens`, 'The field must be a boolean.');
    out.dpop_bound_access_tokens = dpop;
  }
  return out;
}

/** A DCR rule broken by an Apps API member, answered in the Apps API's shape. */
function asAppsError(error: unknown, paths: Record<string, string>): unknown {
  if (!(error instanceof OAuthError) || error.internalCode !== 'invalid_client_metadata' || error.detail === undefined) return error;
  const separator = error.detail.indexOf(': ');
  const field = error.detail.slice(0, separator);
  const message = error.detail.slice(separator + 2);
  const path = paths[field] ?? `settings.oauthClient.${field}`;
  // Okta's documented example names the field once, in the summary and in the cause's own words.
  if (field === 'client_secret') return new OktaApiError('E0000001', { detail: field, causes: [message] });
  return fail(path, message);
}

/**
 * Validates a replacement of `app` and returns the metadata to store. Throws Okta's `400 E0000001` (or
 * `E0000003` for a body that is not a JSON object).
 */
export function validateAppReplacement(body: unknown, app: AppRecord, secret: string | undefined): ClientMetadata {
  if (!isObject(body)) throw new OktaApiError('E0000003');
  onlyMembers(body, TOP_MEMBERS, '');
  exactString(body, 'name', 'oidc_client', "The app's name can't be changed: it must be 'oidc_client'.");
  exactString(body, 'signOnMode', 'OPENID_CONNECT', "The app's sign-on mode can't be changed: it must be 'OPENID_CONNECT'.");
  const label = body.label;
  if (label === undefined || label === null || (typeof label === 'string' && label.trim() === '')) throw fail('label', BLANK);
  if (typeof label !== 'string') throw fail('label', 'The field must be a string.');
  for (const member of PRESENTATION_OBJECTS) optionalType(body, member, '', 'object');

  const credentials = requiredObject(body, 'credentials', 'credentials');
  onlyMembers(credentials, CREDENTIALS_MEMBERS, 'credentials.');
  optionalType(credentials, 'signing', 'credentials.', 'object');
  optionalType(credentials, 'userNameTemplate', 'credentials.', 'object');
  const credentialsClient = requiredObject(credentials, 'oauthClient', 'credentials.oauthClient');
  onlyMembers(credentialsClient, CREDENTIALS_CLIENT_MEMBERS, 'credentials.oauthClient.');
  optionalType(credentialsClient, 'autoKeyRotation', 'credentials.oauthClient.', 'boolean');
  optionalType(credentialsClient, 'pkce_required', 'credentials.oauthClient.', 'boolean');
  const clientId = credentialsClient.client_id;
  if (clientId !== undefined && clientId !== app.id) throw fail('credentials.oauthClient.client_id', `The field can't be changed: it must be '${app.id}'.`);
  const method = credentialsClient.token_endpoint_auth_method;
  if (method === undefined || method === null || method === '') throw fail('credentials.oauthClient.token_endpoint_auth_method', BLANK);
  if (method !== app.metadata.token_endpoint_auth_method) {
    throw fail('credentials.oauthClient.token_endpoint_auth_method', `The field can't be changed here: it must be '${app.metadata.token_endpoint_auth_method}'.`);
  }

  const settings = requiredObject(body, 'settings', 'settings');
  onlyMembers(settings, SETTINGS_MEMBERS, 'settings.');
  for (const member of ['app', 'notifications', 'notes']) optionalType(settings, member, 'settings.', 'object');
  for (const member of ['manualProvisioning', 'implicitAssignment']) optionalType(settings, member, 'settings.', 'boolean');
  const client = requiredObject(settings, 'oauthClient', 'settings.oauthClient');
  for (const member of Object.keys(client)) {
    if (UNMODELLED_MEMBERS.has(member)) throw fail(`settings.oauthClient.${member}`, "The field isn't supported for an app whose 'application_type' is 'service'.");
    if (!DCR_MEMBERS.includes(member) && !APP_ONLY_MEMBERS.includes(member)) {
      throw fail(`settings.oauthClient.${member}`, "The field isn't a property of an OIDC application.");
    }
  }
  if (client.grant_types === undefined || client.grant_types === null) throw fail('settings.oauthClient.grant_types', BLANK);
  const appOnly = appOnlySettings(client);

  const dcrBody: Body = { client_name: label, token_endpoint_auth_method: method };
  for (const member of DCR_MEMBERS) if (member in client) dcrBody[member] = client[member];
  if ('client_secret' in credentialsClient) dcrBody.client_secret = credentialsClient.client_secret;
  const replacing: ReplacedClient = { clientId: app.id, issuedAt: app.issuedAt, applicationType: app.metadata.application_type, secret };
  let metadata: ClientMetadata;
  try {
    metadata = validateClientMetadata(dcrBody, replacing);
  } catch (error) {
    throw asAppsError(error, { client_name: 'label', token_endpoint_auth_method: 'credentials.oauthClient.token_endpoint_auth_method' });
  }
  // A replacement that leaves an Apps-only setting out resets it to the schema's default.
  return { ...metadata, ...appOnly };
}
