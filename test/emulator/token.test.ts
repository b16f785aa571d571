import { expect } from 'chai';
import { createSign, KeyObject } from 'node:crypto';
import { CompactSign, createLocalJWKSet, jwtVerify } from 'jose';
import { authenticate } from '../../src/emulator/auth.ts';
import { OktaApiError } from '../../src/emulator/errors.ts';
import type { EmulatorRequest } from '../../src/emulator/http.ts';
import {
  clientCredentialsForm,
  createServiceClient,
  fetchAccessToken,
  generateClientKey,
  grant,
  mintAssertion,
  requestToken,
  tokenUrl,
  type ClientKey,
  type MintableAssertion,
  type ServiceClient,
} from '../helpers/assertion.ts';
import { call, START, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSpec } from '../helpers/openapi.ts';

const SCOPE = 'okta.riskEvents.manage';
const TOKEN_PATH = '/oauth2/v1/token';
const INVALID_CLIENT = 'Client authentication failed. Either the client or the client credentials are invalid.';
const UNSUPPORTED_AUTH = 'Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.';
const MISSING_GRANT_TYPE = "The token request must specify a 'grant_type'. Valid values: [client_credentials]";
const MULTIPLE_CREDENTIALS =
  'Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.';
const INVALID_SIGNATURE = 'The client_assertion signature is invalid.';
const INVALID_KID = 'The client_assertion JWT kid is invalid.';
const INVALID_JWT = 'The parsing of the client_assertion failed.';
const INVALID_ALG = 'The client_assertion JWT signature algorithm is invalid.';
const INVALID_AUDIENCE = 'The audience claim for client_assertion must be the endpoint invoked for the request.';
const EXPIRED = 'The client_assertion token is expired.';
const EXP_REQUIRED = "The client_assertion must contain the 'exp' claim as seconds since epoch.";
const TOO_FAR = 'The client_assertion token has an expiration too far into the future.';
const IAT_FUTURE = 'The client_assertion token must be issued before the current time.';
const ALREADY_USED = 'The client_assertion token has already been used.';
const INVALID_JWKS = 'The client JWKSet is invalid.';
const INVALID_SCOPE = 'The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.';

function expectError(res: CallResult, status: number, error: string, description: string): void {
  expect({ status: res.status, body: res.body }).to.deep.equal({ status, body: { error, error_description: description } });
  assertMatchesSpec('oauth', 'POST', TOKEN_PATH, status, res.body);
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A compact JWS whose signature is not computed: for rules that fire before the signature is checked. */
function unsignedJwt(header: unknown, payload: unknown, signature = ''): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

/** The last System Log event the org wrote. */
function lastEvent(org: TestOrg): Record<string, any> {
  const record = org.emulator.store.logs.at(-1);
  if (!record) throw new Error('no System Log event');
  return record.event;
}

function bearerRequest(token: string): EmulatorRequest {
  return {
    method: 'GET',
    path: '/api/v1/risk/providers',
    query: new URLSearchParams(),
    rawQuery: '',
    headers: { authorization: `Bearer ${token}` },
    rawBody: Buffer.alloc(0),
    params: {},
    requestId: 'test-request',
    ip: '127.0.0.1',
  };
}

describe('org authorization server token endpoint', () => {
  let org: TestOrg;
  let rsa: ClientKey[];
  let rs512: ClientKey;
  let client: ServiceClient;

  const post = (form: Record<string, string>) => requestToken(org, form);
  const withAssertion = async (mutate?: (a: MintableAssertion) => void, scope = SCOPE, who: ServiceClient = client) =>
    post(clientCredentialsForm(await mintAssertion(org, who, mutate), scope));

  before(async () => {
    org = await startOrg();
    // RSA generation is slow: four key pairs for the whole file, registered afresh for every test.
    [rsa, rs512] = await Promise.all([Promise.all([1, 2, 3].map(() => generateClientKey('RS256'))), generateClientKey('RS512')]);
  });

  after(() => org.close());

  beforeEach(async () => {
    org.emulator.reset();
    org.clock.set(START);
    client = await createServiceClient(org, { reuse: [rsa[0]!] });
    grant(org, client.clientId, SCOPE);
    grant(org, client.clientId, 'okta.logs.read');
  });

  describe('success', () => {
    it('issues a Bearer token for one hour with the granted scopes in request order', async () => {
      const res = await withAssertion(undefined, 'okta.logs.read okta.riskEvents.manage');
      expect(res.status).to.equal(200);
      expect(Object.keys(res.body).sort()).to.deep.equal(['access_token', 'expires_in', 'scope', 'token_type']);
      expect(res.body).to.include({ token_type: 'Bearer', expires_in: 3600, scope: 'okta.logs.read okta.riskEvents.manage' });
      assertMatchesSpec('oauth', 'POST', TOKEN_PATH, 200, res.body);
    });

    it('sends cache-control no-cache, no-store and pragma no-cache with the token', async () => {
      const res = await withAssertion();
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-cache, no-store');
      expect(res.headers.get('pragma')).to.equal('no-cache');
    });

    it('signs the access token with the org key so it verifies against /oauth2/v1/keys', async () => {
      const token = (await withAssertion()).body.access_token as string;
      const keys = await call(org, 'GET', '/oauth2/v1/keys', { auth: null });
      const { protectedHeader } = await jwtVerify(token, createLocalJWKSet(keys.body), { currentDate: new Date(START) });
      expect(protectedHeader).to.deep.equal({ kid: org.emulator.org.signingKey.kid, alg: 'RS256' });
    });

    it('puts ver, an AT. jti, iss and aud = org URL, a one-hour exp, cid, scp and sub = client id in the token, and no uid', async () => {
      const token = (await withAssertion(undefined, 'okta.riskEvents.manage okta.logs.read')).body.access_token as string;
      const { payload } = await jwtVerify(token, (await org.emulator.org.signingKey.keys()).publicKey, { currentDate: new Date(START) });
      const iat = START / 1000;
      expect(payload).to.deep.equal({
        ver: 1,
        jti: payload.jti,
        iss: org.url,
        aud: org.url,
        sub: client.clientId,
        iat,
        exp: iat + 3600,
        cid: client.clientId,
        scp: ['okta.riskEvents.manage', 'okta.logs.read'],
      });
      expect(payload.jti).to.match(/^AT\.[A-Za-z0-9_-]{43}$/);
    });

    it('grants each scope once when a scope is requested twice', async () => {
      const res = await withAssertion(undefined, 'okta.logs.read okta.logs.read');
      expect(res.body.scope).to.equal('okta.logs.read');
    });

    it('accepts an ES256 assertion', async () => {
      const ec = await createServiceClient(org, { alg: 'ES256' });
      grant(org, ec.clientId, SCOPE);
      expect((await withAssertion(undefined, SCOPE, ec)).status).to.equal(200);
    });

    it('accepts an RS512 assertion', async () => {
      const other = await createServiceClient(org, { reuse: [rs512] });
      grant(org, other.clientId, SCOPE);
      expect((await withAssertion(undefined, SCOPE, other)).status).to.equal(200);
    });

    it('accepts a form content type with a charset parameter', async () => {
      const body = new URLSearchParams(clientCredentialsForm(await mintAssertion(org, client), SCOPE));
      const res = await call(org, 'POST', TOKEN_PATH, { body, auth: null, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' } });
      expect(res.status).to.equal(200);
    });

    it('accepts a client_id parameter equal to the assertion issuer', async () => {
      const form = { ...clientCredentialsForm(await mintAssertion(org, client), SCOPE), client_id: client.clientId };
      expect((await post(form)).status).to.equal(200);
    });

    it('accepts a key stored with use: null, as Okta echoes it', async () => {
      expect(org.emulator.store.apps.get(client.clientId)!.metadata.jwks!.keys[0]!.use).to.equal(null);
      expect((await withAssertion()).status).to.equal(200);
    });
  });

  describe('step 1: the request', () => {
    it('reads a JSON body as no form parameters and answers token_request_missing_grant_type', async () => {
      const res = await call(org, 'POST', TOKEN_PATH, { body: clientCredentialsForm(await mintAssertion(org, client), SCOPE), auth: null });
      expectError(res, 400, 'invalid_request', MISSING_GRANT_TYPE);
    });

    it('rejects client credentials in the query string with client_credentials_in_query', async () => {
      const body = new URLSearchParams(clientCredentialsForm(await mintAssertion(org, client), SCOPE));
      const res = await call(org, 'POST', `${TOKEN_PATH}?client_id=${client.clientId}`, { body, auth: null });
      expectError(res, 400, 'invalid_request', 'Client credentials cannot be supplied via query parameters.');
    });

    it('rejects duplicated parameters with illegal_duplicated_parameters, naming them', async () => {
      const assertion = await mintAssertion(org, client);
      const body = `${new URLSearchParams(clientCredentialsForm(assertion, SCOPE))}&scope=okta.logs.read&grant_type=client_credentials`;
      const res = await call(org, 'POST', TOKEN_PATH, { body, auth: null, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectError(res, 400, 'invalid_request', 'Duplicate parameter provided in request. Duplicated parameters: [scope, grant_type].');
    });

    it('rejects a request without grant_type with token_request_missing_grant_type', async () => {
      const { grant_type: _, ...form } = clientCredentialsForm(await mintAssertion(org, client), SCOPE);
      expectError(await post(form), 400, 'invalid_request', MISSING_GRANT_TYPE);
    });

    it('rejects another grant type with unsupported_grant_type, listing client_credentials', async () => {
      const form = { ...clientCredentialsForm(await mintAssertion(org, client), SCOPE), grant_type: 'authorization_code' };
      expectError(
        await post(form),
        400,
        'unsupported_grant_type',
        'The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].',
      );
    });

    it('rejects Basic credentials together with a client_assertion with multiple_client_credentials', async () => {
      const body = new URLSearchParams(clientCredentialsForm(await mintAssertion(org, client), SCOPE));
      const res = await call(org, 'POST', TOKEN_PATH, { body, auth: `Basic ${b64(`${client.clientId}:secret`)}` });
      expectError(res, 401, 'invalid_request', MULTIPLE_CREDENTIALS);
    });

    it('rejects a client_secret together with a client_assertion with multiple_client_credentials', async () => {
      const form = { ...clientCredentialsForm(await mintAssertion(org, client), SCOPE), client_secret: 'secret' };
      expectError(await post(form), 401, 'invalid_request', MULTIPLE_CREDENTIALS);
    });

    it('rejects a request with no client credentials with missing_client_credentials', async () => {
      expectError(await post({ grant_type: 'client_credentials', scope: SCOPE }), 401, 'invalid_client', 'No client credentials found.');
    });

    it('rejects a client_secret for a known client with unsupported_auth_method_client_creds', async () => {
      const res = await post({ grant_type: 'client_credentials', scope: SCOPE, client_id: client.clientId, client_secret: 'secret' });
      expectError(res, 401, 'invalid_client', UNSUPPORTED_AUTH);
    });

    it('rejects Basic credentials for a known client with unsupported_auth_method_client_creds', async () => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE });
      const res = await call(org, 'POST', TOKEN_PATH, { body, auth: `Basic ${b64(`${client.clientId}:secret`)}` });
      expectError(res, 401, 'invalid_client', UNSUPPORTED_AUTH);
    });

    it('rejects a client_secret for an unknown client with invalid_client', async () => {
      const res = await post({ grant_type: 'client_credentials', scope: SCOPE, client_id: '0oaUnknownClient0001', client_secret: 'secret' });
      expectError(res, 401, 'invalid_client', INVALID_CLIENT);
    });

    it('rejects an Authorization header that is not Basic credentials with invalid_basic_auth_creds', async () => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE });
      const res = await call(org, 'POST', TOKEN_PATH, { body, auth: `SSWS ${org.apiToken}` });
      expectError(res, 401, 'invalid_client', 'Found Authentication header but was not valid client credentials.');
    });
  });

  describe('step 2: client_assertion_type', () => {
    it('rejects a missing client_assertion_type with client_assertion_type_invalid', async () => {
      const { client_assertion_type: _, ...form } = clientCredentialsForm(await mintAssertion(org, client), SCOPE);
      expectError(await post(form), 400, 'invalid_request', 'The client_assertion_type is invalid.');
    });

    it('rejects the saml2-bearer assertion type with client_assertion_type_invalid', async () => {
      const form = { ...clientCredentialsForm(await mintAssertion(org, client), SCOPE), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' };
      expectError(await post(form), 400, 'invalid_request', 'The client_assertion_type is invalid.');
    });
  });

  describe('step 3: parsing', () => {
    it('rejects an assertion that is not three base64url parts with client_assertion_invalid_jwt', async () => {
      expectError(await post(clientCredentialsForm('not.a-jwt', SCOPE)), 401, 'invalid_client', INVALID_JWT);
    });

    it('rejects an assertion whose payload is not a JSON object with client_assertion_invalid_jwt', async () => {
      expectError(await post(clientCredentialsForm(unsignedJwt({ alg: 'RS256' }, '[1,2]', 'c2ln'), SCOPE)), 401, 'invalid_client', INVALID_JWT);
    });

    it('rejects an assertion whose jti is not a string with client_assertion_invalid_jwt', async () => {
      expectError(await withAssertion((a) => void (a.payload.jti = 42)), 401, 'invalid_client', INVALID_JWT);
    });
  });

  describe('step 4: algorithm allow-list', () => {
    it('rejects an unsigned assertion (alg none) with client_assertion_invalid_signature_algorithm', async () => {
      const payload = { iss: client.clientId, sub: client.clientId, aud: tokenUrl(org), exp: START / 1000 + 60 };
      expectError(await post(clientCredentialsForm(unsignedJwt({ alg: 'none' }, payload), SCOPE)), 401, 'invalid_client', INVALID_ALG);
    });

    it('rejects an HS256 assertion keyed with the public JWK with client_assertion_invalid_signature_algorithm', async () => {
      const payload = { iss: client.clientId, sub: client.clientId, aud: tokenUrl(org), exp: START / 1000 + 60 };
      const secret = new TextEncoder().encode(JSON.stringify(rsa[0]!.publicJwk));
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'HS256' }).sign(secret);
      expectError(await post(clientCredentialsForm(jws, SCOPE)), 401, 'invalid_client', INVALID_ALG);
    });

    it('rejects a PS256 assertion with client_assertion_invalid_signature_algorithm', async () => {
      const payload = { iss: client.clientId, sub: client.clientId, aud: tokenUrl(org), exp: START / 1000 + 60 };
      expectError(await post(clientCredentialsForm(unsignedJwt({ alg: 'PS256', kid: rsa[0]!.kid }, payload, 'c2ln'), SCOPE)), 401, 'invalid_client', INVALID_ALG);
    });
  });

  describe('step 5: iss and sub', () => {
    it('rejects an iss that is not a client with client_assertion_invalid_issuer', async () => {
      const res = await withAssertion((a) => void (a.payload.iss = a.payload.sub = '0oaUnknownClient0001'));
      expectError(res, 401, 'invalid_client', 'The issuer claim for client_assertion is not a valid client_id.');
    });

    it('rejects an assertion without iss with client_assertion_invalid_issuer', async () => {
      expectError(await withAssertion((a) => delete a.payload.iss), 401, 'invalid_client', 'The issuer claim for client_assertion is not a valid client_id.');
    });

    it('rejects a sub other than iss with client_assertion_invalid_subject', async () => {
      const res = await withAssertion((a) => void (a.payload.sub = 'someone-else'));
      expectError(res, 401, 'invalid_client', 'The subject claim for client_assertion is not a valid client_id.');
    });

    it('rejects a client_id parameter other than the assertion issuer with invalid_client', async () => {
      const form = { ...clientCredentialsForm(await mintAssertion(org, client), SCOPE), client_id: '0oaUnknownClient0001' };
      expectError(await post(form), 401, 'invalid_client', INVALID_CLIENT);
    });
  });

  describe('step 6: the client', () => {
    it('rejects a deactivated client with invalid_client', async () => {
      org.emulator.store.apps.get(client.clientId)!.status = 'INACTIVE';
      expectError(await withAssertion(), 401, 'invalid_client', INVALID_CLIENT);
    });

    it('rejects a client_secret_basic client with unsupported_auth_method_client_creds', async () => {
      const other = await createServiceClient(org, { reuse: [rsa[0]!], metadata: { token_endpoint_auth_method: 'client_secret_basic' } });
      expectError(await withAssertion(undefined, SCOPE, other), 401, 'invalid_client', UNSUPPORTED_AUTH);
    });

    it('rejects a web client with invalid_application_type_client_credentials', async () => {
      const other = await createServiceClient(org, { reuse: [rsa[0]!], metadata: { application_type: 'web' } });
      expectError(
        await withAssertion(undefined, SCOPE, other),
        401,
        'invalid_client',
        "Only clients with 'application_type' of 'service' may use the client_credentials 'grant_type' with the Org Authorization Server.",
      );
    });

    it('rejects a client without the client_credentials grant type with unauthorized_client, listing its grant types', async () => {
      const other = await createServiceClient(org, {
        reuse: [rsa[0]!],
        metadata: { grant_types: ['authorization_code', 'refresh_token'] },
      });
      expectError(
        await withAssertion(undefined, SCOPE, other),
        400,
        'unauthorized_client',
        'The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token].',
      );
    });
  });

  describe('step 7: audience', () => {
    for (const [name, aud] of [
      ['the token URL with a trailing slash', (o: TestOrg) => `${tokenUrl(o)}/`],
      ['the org URL alone', (o: TestOrg) => o.url],
      ['the token URL on another host', () => 'https://example.okta.com/oauth2/v1/token'],
      ['an array with a second audience', (o: TestOrg) => [tokenUrl(o), o.url]],
    ] as const) {
      it(`rejects an aud of ${name} with client_assertion_invalid_audience`, async () => {
        expectError(await withAssertion((a) => void (a.payload.aud = aud(org))), 401, 'invalid_client', INVALID_AUDIENCE);
      });
    }

    it('accepts an aud that is a one-member array holding the token URL', async () => {
      expect((await withAssertion((a) => void (a.payload.aud = [tokenUrl(org)]))).status).to.equal(200);
    });
  });

  describe('step 8: times', () => {
    const now = START / 1000;

    it('rejects an assertion without exp with client_assertion_expiration_required', async () => {
      expectError(await withAssertion((a) => delete a.payload.exp), 401, 'invalid_client', EXP_REQUIRED);
    });

    it('rejects an exp written as a string, as the guide sample does, with client_assertion_expiration_required', async () => {
      expectError(await withAssertion((a) => void (a.payload.exp = String(now + 60))), 401, 'invalid_client', EXP_REQUIRED);
    });

    it('rejects an assertion that has expired on the org clock with client_assertion_expired_token', async () => {
      const assertion = await mintAssertion(org, client);
      org.clock.advance(301_000);
      expectError(await post(clientCredentialsForm(assertion, SCOPE)), 401, 'invalid_client', EXPIRED);
    });

    it('rejects an exp equal to now with client_assertion_expired_token', async () => {
      expectError(await withAssertion((a) => void (a.payload.exp = now)), 401, 'invalid_client', EXPIRED);
    });

    it('accepts an exp exactly one hour after now', async () => {
      expect((await withAssertion((a) => void (a.payload.exp = now + 3600))).status).to.equal(200);
    });

    it('rejects an exp one hour and one second after now with client_assertion_expires_too_far_in_future', async () => {
      expectError(await withAssertion((a) => void (a.payload.exp = now + 3601)), 401, 'invalid_client', TOO_FAR);
    });

    it('rejects an iat one second in the future with client_assertion_issued_at_in_future', async () => {
      expectError(await withAssertion((a) => void (a.payload.iat = now + 1)), 401, 'invalid_client', IAT_FUTURE);
    });

    it('accepts an iat equal to now', async () => {
      expect((await withAssertion((a) => void (a.payload.iat = now))).status).to.equal(200);
    });

    it('accepts an assertion without iat', async () => {
      expect((await withAssertion((a) => delete a.payload.iat)).status).to.equal(200);
    });

    it('rejects an nbf in the future with client_assertion_issued_at_in_future', async () => {
      expectError(await withAssertion((a) => void (a.payload.nbf = now + 10)), 401, 'invalid_client', IAT_FUTURE);
    });
  });

  describe('step 9: key selection', () => {
    it('rejects a client without a JWKS with client_assertion_jwks_not_configured', async () => {
      delete org.emulator.store.apps.get(client.clientId)!.metadata.jwks;
      expectError(await withAssertion(), 401, 'invalid_client', 'The client does not have a JWKSet configured, but the client_assertion requires one.');
    });

    it('rejects a kid the client does not have with client_assertion_invalid_kid', async () => {
      expectError(await withAssertion((a) => void (a.header.kid = 'unknown-kid')), 401, 'invalid_client', INVALID_KID);
    });

    it('rejects an assertion without kid when the client has several keys with client_assertion_invalid_kid', async () => {
      const multi = await createServiceClient(org, { reuse: [rsa[0]!, rsa[1]!] });
      grant(org, multi.clientId, SCOPE);
      expectError(await withAssertion((a) => delete a.header.kid, SCOPE, multi), 401, 'invalid_client', INVALID_KID);
    });

    it('selects the key named by kid among several keys', async () => {
      const multi = await createServiceClient(org, { reuse: [rsa[0]!, rsa[1]!, rsa[2]!] });
      grant(org, multi.clientId, SCOPE);
      expect((await withAssertion(undefined, SCOPE, { ...multi, keys: [rsa[2]!] })).status).to.equal(200);
    });

    it('accepts an assertion without kid when the client has a single key that has a kid', async () => {
      expect((await withAssertion((a) => delete a.header.kid)).status).to.equal(200);
    });

    it('accepts a kid-less assertion for a client with a single kid-less key', async () => {
      const kidless = await createServiceClient(org, { alg: 'ES256', kidless: true });
      grant(org, kidless.clientId, SCOPE);
      expect(org.emulator.store.apps.get(kidless.clientId)!.metadata.jwks!.keys[0]!.kid).to.equal(null);
      expect((await withAssertion(undefined, SCOPE, kidless)).status).to.equal(200);
    });

    it('rejects an assertion for an RSA alg whose kid names an EC key with client_assertion_invalid_signature', async () => {
      const ec = await createServiceClient(org, { alg: 'ES256' });
      const res = await withAssertion((a) => void (a.header.kid = ec.keys[0]!.kid), SCOPE, { ...ec, keys: [rsa[1]!] });
      expectError(res, 401, 'invalid_client', INVALID_SIGNATURE);
      expect(lastEvent(org).debugContext.debugData.errorDetail).to.equal('a EC key cannot verify RS256');
    });

    it('rejects an ES384 assertion whose kid names a P-256 key with client_assertion_invalid_signature', async () => {
      const ec = await createServiceClient(org, { alg: 'ES256' });
      const es384 = await generateClientKey('ES384');
      const res = await withAssertion((a) => void (a.header.kid = ec.keys[0]!.kid), SCOPE, { ...ec, keys: [es384] });
      expectError(res, 401, 'invalid_client', INVALID_SIGNATURE);
      expect(lastEvent(org).debugContext.debugData.errorDetail).to.equal('curve P-256 cannot verify ES384');
    });

    it('rejects an assertion whose alg differs from the alg the key declares with client_assertion_invalid_signature', async () => {
      const declared = await createServiceClient(org, { reuse: [rs512], metadata: { jwks: { keys: [{ ...rs512.publicJwk, alg: 'RS256' }] } } });
      grant(org, declared.clientId, SCOPE);
      expectError(await withAssertion(undefined, SCOPE, declared), 401, 'invalid_client', INVALID_SIGNATURE);
      expect(lastEvent(org).debugContext.debugData.errorDetail).to.equal('the key is for RS256, the assertion uses RS512');
    });

    it('rejects a key registered for encryption with client_assertion_not_signed_with_signing_key', async () => {
      org.emulator.store.apps.get(client.clientId)!.metadata.jwks = { keys: [{ ...rsa[0]!.publicJwk, use: 'enc' }] };
      expectError(await withAssertion(), 401, 'invalid_client', 'The client_assertion JWT needs to be signed using a signing key.');
    });

    it('rejects a key whose status is INACTIVE with client_assertion_invalid_kid', async () => {
      org.emulator.store.apps.get(client.clientId)!.metadata.jwks = { keys: [{ ...rsa[0]!.publicJwk, status: 'INACTIVE' }] };
      expectError(await withAssertion(), 401, 'invalid_client', INVALID_KID);
    });

    it('rejects a stored key that does not import with client_assertion_invalid_jwks', async () => {
      org.emulator.store.apps.get(client.clientId)!.metadata.jwks = { keys: [{ ...rsa[0]!.publicJwk, n: '!' }] };
      expectError(await withAssertion(), 401, 'invalid_client', INVALID_JWKS);
    });

    it('rejects a JWKS in which two keys share the kid with client_assertion_invalid_jwks', async () => {
      org.emulator.store.apps.get(client.clientId)!.metadata.jwks = { keys: [rsa[0]!.publicJwk, { ...rsa[1]!.publicJwk, kid: rsa[0]!.kid }] };
      expectError(await withAssertion(), 401, 'invalid_client', INVALID_JWKS);
    });
  });

  describe('step 10: signature', () => {
    it('rejects an assertion signed by a key the client does not hold with client_assertion_invalid_signature', async () => {
      const res = await withAssertion((a) => void (a.header.kid = rsa[0]!.kid), SCOPE, { ...client, keys: [rsa[1]!] });
      expectError(res, 401, 'invalid_client', INVALID_SIGNATURE);
    });

    it('rejects an assertion whose payload was changed after signing with client_assertion_invalid_signature', async () => {
      const [header, , signature] = (await mintAssertion(org, client)).split('.');
      const forged = `${header}.${b64({ iss: client.clientId, sub: client.clientId, aud: tokenUrl(org), exp: START / 1000 + 60 })}.${signature}`;
      expectError(await post(clientCredentialsForm(forged, SCOPE)), 401, 'invalid_client', INVALID_SIGNATURE);
    });
  });

  describe('step 11: jti replay', () => {
    it('rejects a replayed assertion with client_assertion_already_used', async () => {
      const form = clientCredentialsForm(await mintAssertion(org, client), SCOPE);
      expect((await post(form)).status).to.equal(200);
      expectError(await post(form), 401, 'invalid_client', ALREADY_USED);
    });

    it('does not burn the jti of a failed request', async () => {
      const assertion = await mintAssertion(org, client);
      expectError(await post(clientCredentialsForm(assertion, 'okta.users.read')), 400, 'invalid_scope', INVALID_SCOPE);
      expect(org.emulator.store.usedJtis.size).to.equal(0);
      expect((await post(clientCredentialsForm(assertion, SCOPE))).status).to.equal(200);
    });

    it('accepts a jti again once its assertion has expired and the cache has been pruned', async () => {
      const jti = 'reused-jti';
      expect((await withAssertion((a) => void ((a.payload.jti = jti), (a.payload.exp = START / 1000 + 60)))).status).to.equal(200);
      org.clock.advance(61_000);
      expect((await withAssertion()).status).to.equal(200);
      expect([...org.emulator.store.usedJtis.keys()]).to.not.include(`${client.clientId}:${jti}`);
      expect((await withAssertion((a) => void (a.payload.jti = jti))).status).to.equal(200);
    });

    it('lets an assertion without jti be used again', async () => {
      const form = clientCredentialsForm(await mintAssertion(org, client, (a) => delete a.payload.jti), SCOPE);
      expect((await post(form)).status).to.equal(200);
      expect((await post(form)).status).to.equal(200);
    });

    it('keeps jtis per client, so two clients may use the same jti', async () => {
      const other = await createServiceClient(org, { alg: 'ES256' });
      grant(org, other.clientId, SCOPE);
      expect((await withAssertion((a) => void (a.payload.jti = 'shared'))).status).to.equal(200);
      expect((await withAssertion((a) => void (a.payload.jti = 'shared'), SCOPE, other)).status).to.equal(200);
    });
  });

  describe('step 12: scopes', () => {
    it('rejects a request without scope with missing_scopes', async () => {
      const { scope: _, ...form } = clientCredentialsForm(await mintAssertion(org, client), SCOPE);
      expectError(await post(form), 400, 'invalid_scope', 'No scopes were requested.');
    });

    it('rejects a blank scope with missing_scopes', async () => {
      expectError(await withAssertion(undefined, '   '), 400, 'invalid_scope', 'No scopes were requested.');
    });

    it('rejects openid with openid_not_allowed_client_creds', async () => {
      expectError(await withAssertion(undefined, `openid ${SCOPE}`), 400, 'invalid_scope', "Cannot request 'openid' scopes using client credentials.");
    });

    it('rejects a scope that is not granted with invalid_scope', async () => {
      expectError(await withAssertion(undefined, `${SCOPE} okta.users.read`), 400, 'invalid_scope', INVALID_SCOPE);
    });

    it("rejects a scope granted only to another client with invalid_scope", async () => {
      const other = await createServiceClient(org, { alg: 'ES256' });
      grant(org, other.clientId, 'okta.riskProviders.read');
      expectError(await withAssertion(undefined, 'okta.riskProviders.read'), 400, 'invalid_scope', INVALID_SCOPE);
    });
  });

  describe('DPoP-bound clients', () => {
    it('refuses a client that requires DPoP with invalid_dpop_proof, since the emulator cannot bind tokens', async () => {
      org.emulator.store.apps.get(client.clientId)!.metadata.dpop_bound_access_tokens = true;
      expectError(await withAssertion(), 400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.');
    });
  });

  describe('order of checks', () => {
    it('reports the audience before the expiry when both are wrong', async () => {
      const res = await withAssertion((a) => void ((a.payload.aud = org.url), (a.payload.exp = START / 1000 - 10)));
      expectError(res, 401, 'invalid_client', INVALID_AUDIENCE);
    });

    it('reports the algorithm before the issuer when both are wrong', async () => {
      expectError(await post(clientCredentialsForm(unsignedJwt({ alg: 'none' }, { iss: 'nobody' }), SCOPE)), 401, 'invalid_client', INVALID_ALG);
    });

    it('reports the expiry before the signature when both are wrong', async () => {
      const res = await withAssertion((a) => void (a.payload.exp = START / 1000 - 10), SCOPE, { ...client, keys: [{ ...rsa[1]!, kid: rsa[0]!.kid }] });
      expectError(res, 401, 'invalid_client', EXPIRED);
    });

    it('reports a replayed jti before an ungranted scope', async () => {
      const assertion = await mintAssertion(org, client);
      expect((await post(clientCredentialsForm(assertion, SCOPE))).status).to.equal(200);
      expectError(await post(clientCredentialsForm(assertion, 'okta.users.read')), 401, 'invalid_client', ALREADY_USED);
    });
  });

  describe('the token at the management APIs', () => {
    it('is accepted by management authentication with its client and scopes', async () => {
      const token = await fetchAccessToken(org, client, SCOPE);
      expect(await authenticate(bearerRequest(token), org.emulator.org, SCOPE)).to.deep.include({ kind: 'bearer', clientId: client.clientId, scopes: [SCOPE] });
    });

    it('is accepted when the org clock is years away from real time', async () => {
      org.clock.set(Date.UTC(2041, 0, 1));
      const token = await fetchAccessToken(org, client, SCOPE);
      expect(await authenticate(bearerRequest(token), org.emulator.org, SCOPE)).to.deep.include({ kind: 'bearer', clientId: client.clientId });
    });

    for (const [name, act] of [
      ['deactivated', (o: TestOrg, id: string) => void (o.emulator.store.apps.get(id)!.status = 'INACTIVE')],
      ['deleted', (o: TestOrg, id: string) => o.emulator.store.deleteApp(id)],
    ] as const) {
      it(`is refused with 401 E0000011 once its client is ${name}`, async () => {
        const token = await fetchAccessToken(org, client, SCOPE);
        act(org, client.clientId);
        const error = await authenticate(bearerRequest(token), org.emulator.org, SCOPE).then(() => undefined, (e: unknown) => e);
        expect(error).to.be.instanceOf(OktaApiError);
        expect((error as OktaApiError).body()).to.deep.include({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
        expect((error as OktaApiError).status).to.equal(401);
      });
    }
  });

  describe('JWS options Okta does not document', () => {
    /** Signs `header` and `payload` as a compact JWS with the client's RS256 key, whatever the header holds. */
    function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: ClientKey): string {
      const input = `${b64(header)}.${b64(payload)}`;
      const signature = createSign('RSA-SHA256').update(input).sign(KeyObject.from(key.privateKey));
      return `${input}.${signature.toString('base64url')}`;
    }

    function claims(): Record<string, unknown> {
      const iat = Math.floor(START / 1000);
      return { iss: client.clientId, sub: client.clientId, aud: tokenUrl(org), iat, exp: iat + 300, jti: `jti-${iat}-${Math.random()}` };
    }

    it('accepts a plain RS256 assertion signed the same way', async () => {
      const res = await post(clientCredentialsForm(signRaw({ alg: 'RS256', kid: rsa[0]!.kid }, claims(), rsa[0]!), SCOPE));
      expect(res.status).to.equal(200);
    });

    it('refuses an RFC 7797 unencoded-payload assertion (b64: false) with invalid_client', async () => {
      // RFC 7797 §3: the signing input is the encoded header, a dot and the payload octets as they are.
      const input = `${b64({ alg: 'RS256', kid: rsa[0]!.kid, b64: false, crit: ['b64'] })}.${JSON.stringify(claims())}`;
      const signature = createSign('RSA-SHA256').update(input).sign(KeyObject.from(rsa[0]!.privateKey));
      const assertion = `${input}.${signature.toString('base64url')}`;
      expectError(await post(clientCredentialsForm(assertion, SCOPE)), 401, 'invalid_client', INVALID_CLIENT);
    });

    it('refuses an assertion whose header carries b64: true with invalid_client', async () => {
      const assertion = signRaw({ alg: 'RS256', kid: rsa[0]!.kid, b64: true }, claims(), rsa[0]!);
      expectError(await post(clientCredentialsForm(assertion, SCOPE)), 401, 'invalid_client', INVALID_CLIENT);
    });

    it('refuses an assertion with an unknown crit header with invalid_client', async () => {
      const assertion = signRaw({ alg: 'RS256', kid: rsa[0]!.kid, crit: ['http://example.com/x'], 'http://example.com/x': 1 }, claims(), rsa[0]!);
      expectError(await post(clientCredentialsForm(assertion, SCOPE)), 401, 'invalid_client', INVALID_CLIENT);
    });

    it('refuses an assertion with an empty crit header with invalid_client', async () => {
      const assertion = signRaw({ alg: 'RS256', kid: rsa[0]!.kid, crit: [] }, claims(), rsa[0]!);
      expectError(await post(clientCredentialsForm(assertion, SCOPE)), 401, 'invalid_client', INVALID_CLIENT);
    });
  });

  describe('deactivation ends the token for good (stricter than Okta documents)', () => {
    const LOGS = '/api/v1/logs';
    const deactivate = (id: string) => call(org, 'POST', `/api/v1/apps/${id}/lifecycle/deactivate`);
    const activate = (id: string) => call(org, 'POST', `/api/v1/apps/${id}/lifecycle/activate`);
    const useToken = (token: string) => call(org, 'GET', LOGS, { auth: `Bearer ${token}` });

    /** The answer the emulator gives any invalid bearer token, minus the per-request errorId. */
    async function invalidTokenAnswer(token: string): Promise<unknown> {
      const res = await useToken(token);
      const { errorId: _errorId, ...body } = res.body as Record<string, unknown>;
      return { status: res.status, body, challenge: res.headers.get('www-authenticate') };
    }

    it('accepts the token before the app is deactivated', async () => {
      const token = await fetchAccessToken(org, client, 'okta.logs.read');
      expect((await useToken(token)).status).to.equal(200);
    });

    it('refuses a token issued before deactivation after the app is reactivated, exactly as an invalid token', async () => {
      const token = await fetchAccessToken(org, client, 'okta.logs.read');
      expect((await deactivate(client.clientId)).status).to.equal(200);
      expect((await activate(client.clientId)).status).to.equal(200);
      const answer = await invalidTokenAnswer(token);
      expect(answer).to.deep.equal(await invalidTokenAnswer('not-a-token'));
      expect(answer).to.deep.include({ status: 401, body: { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorLink: 'E0000011', errorCauses: [] } });
    });

    it('refuses a token issued seconds before the deactivation after reactivation a minute later', async () => {
      const token = await fetchAccessToken(org, client, 'okta.logs.read');
      org.clock.set(START + 5_000);
      await deactivate(client.clientId);
      org.clock.set(START + 65_000);
      await activate(client.clientId);
      expect((await useToken(token)).status).to.equal(401);
    });

    it('accepts a token issued after reactivation within the deactivation second', async () => {
      await deactivate(client.clientId);
      await activate(client.clientId);
      const token = await fetchAccessToken(org, client, 'okta.logs.read');
      expect((await useToken(token)).status).to.equal(200);
    });

    it('accepts a token issued after reactivation a second later', async () => {
      await deactivate(client.clientId);
      org.clock.set(START + 1_000);
      await activate(client.clientId);
      const token = await fetchAccessToken(org, client, 'okta.logs.read');
      expect((await useToken(token)).status).to.equal(200);
    });

    it('forgets the cutoff when the app is deleted, so memory stays one entry per app', async () => {
      await deactivate(client.clientId);
      expect(org.emulator.store.tokenCutoffs.has(client.clientId)).to.equal(true);
      expect((await call(org, 'DELETE', `/api/v1/apps/${client.clientId}`)).status).to.equal(204);
      expect(org.emulator.store.tokenCutoffs.has(client.clientId)).to.equal(false);
    });
  });

  describe('revoking a grant ends the tokens that carried its scope (stricter than Okta documents)', () => {
    const LOGS = '/api/v1/logs';
    const PROVIDERS = '/api/v1/risk/providers';
    const LOGS_SCOPE = 'okta.logs.read';
    const PROVIDERS_SCOPE = 'okta.riskProviders.read';
    const INVALID_TOKEN = { status: 401, body: { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorLink: 'E0000011', errorCauses: [] }, challenge: null };
    const use = (token: string, path = LOGS) => call(org, 'GET', path, { auth: `Bearer ${token}` });
    const grantOf = (who: ServiceClient, scope: string) =>
      [...org.emulator.store.grants.values()].find((g) => g.appId === who.clientId && g.scopeId === scope)!;
    async function revoke(who: ServiceClient, scope: string): Promise<void> {
      const res = await call(org, 'DELETE', `/api/v1/apps/${who.clientId}/grants/${grantOf(who, scope).id}`);
      expect(res.status).to.equal(204);
    }
    async function regrant(who: ServiceClient, scope: string): Promise<void> {
      const res = await call(org, 'POST', `/api/v1/apps/${who.clientId}/grants`, { body: { issuer: org.url, scopeId: scope } });
      expect(res.status).to.equal(201);
    }

    /** A call's status, body without its per-request errorId, and WWW-Authenticate. */
    async function answer(token: string, path = LOGS): Promise<unknown> {
      const res = await use(token, path);
      const { errorId: _errorId, ...body } = (res.body ?? {}) as Record<string, unknown>;
      return { status: res.status, body, challenge: res.headers.get('www-authenticate') };
    }

    it('accepts a token carrying the scope while its grant stands', async () => {
      const token = await fetchAccessToken(org, client, LOGS_SCOPE);
      expect((await use(token)).status).to.equal(200);
    });

    it('refuses a token issued before the revocation, on a route needing the scope, exactly as an invalid token', async () => {
      const token = await fetchAccessToken(org, client, LOGS_SCOPE);
      await revoke(client, LOGS_SCOPE);
      const refused = await answer(token);
      expect(refused).to.deep.equal(INVALID_TOKEN);
      expect(refused).to.deep.equal(await answer('not-a-token'));
    });

    it('refuses that token even after the grant is created again', async () => {
      const token = await fetchAccessToken(org, client, LOGS_SCOPE);
      await revoke(client, LOGS_SCOPE);
      org.clock.set(START + 5_000);
      await regrant(client, LOGS_SCOPE);
      expect(await answer(token)).to.deep.equal(INVALID_TOKEN);
    });

    it('refuses that token on a route needing another scope it carries: a revoked token is invalid, not trimmed', async () => {
      grant(org, client.clientId, PROVIDERS_SCOPE);
      const token = await fetchAccessToken(org, client, `${LOGS_SCOPE} ${PROVIDERS_SCOPE}`);
      await revoke(client, LOGS_SCOPE);
      expect(await answer(token, PROVIDERS)).to.deep.equal(INVALID_TOKEN);
    });

    it('leaves a token of the same app that does not carry the revoked scope alone', async () => {
      grant(org, client.clientId, PROVIDERS_SCOPE);
      const token = await fetchAccessToken(org, client, PROVIDERS_SCOPE);
      await revoke(client, LOGS_SCOPE);
      expect((await use(token, PROVIDERS)).status).to.equal(200);
    });

    it("leaves another app's token for the same scope alone", async () => {
      const other = await createServiceClient(org, { reuse: [rsa[1]!] });
      grant(org, other.clientId, LOGS_SCOPE);
      const token = await fetchAccessToken(org, other, LOGS_SCOPE);
      await revoke(client, LOGS_SCOPE);
      expect((await use(token)).status).to.equal(200);
    });

    it('refuses a new token for the scope with invalid_scope while the grant is revoked', async () => {
      await revoke(client, LOGS_SCOPE);
      expectError(await withAssertion(undefined, LOGS_SCOPE), 400, 'invalid_scope', INVALID_SCOPE);
    });

    it('accepts a token issued after the re-grant within the revocation second', async () => {
      await revoke(client, LOGS_SCOPE);
      await regrant(client, LOGS_SCOPE);
      const token = await fetchAccessToken(org, client, LOGS_SCOPE);
      expect((await use(token)).status).to.equal(200);
    });

    it('accepts a token issued after the re-grant a second later', async () => {
      await revoke(client, LOGS_SCOPE);
      org.clock.set(START + 1_000);
      await regrant(client, LOGS_SCOPE);
      const token = await fetchAccessToken(org, client, LOGS_SCOPE);
      expect((await use(token)).status).to.equal(200);
    });

    it('forgets the revocation when the app is deleted, so memory stays bounded by the apps', async () => {
      await revoke(client, LOGS_SCOPE);
      expect(org.emulator.store.tokenCutoffs.has(client.clientId)).to.equal(true);
      await call(org, 'POST', `/api/v1/apps/${client.clientId}/lifecycle/deactivate`);
      expect((await call(org, 'DELETE', `/api/v1/apps/${client.clientId}`)).status).to.equal(204);
      expect(org.emulator.store.tokenCutoffs.has(client.clientId)).to.equal(false);
      expect(org.emulator.store.tokenCutoffs.size).to.equal(0);
    });
  });

  describe('System Log', () => {
    it('records a granted token as app.oauth2.token.grant.access_token without the assertion or the token', async () => {
      const assertion = await mintAssertion(org, client);
      const res = await post(clientCredentialsForm(assertion, SCOPE));
      const event = lastEvent(org);
      expect(event).to.deep.include({ eventType: 'app.oauth2.token.grant.access_token', outcome: { result: 'SUCCESS' } });
      expect(event.actor).to.include({ id: client.clientId, type: 'PublicClientApp' });
      expect(event.debugContext.debugData).to.include({ grantType: 'client_credentials', grantedScopes: SCOPE });
      const logged = JSON.stringify(org.emulator.store.logs);
      expect(logged).to.not.include(assertion.split('.')[2]);
      expect(logged).to.not.include(res.body.access_token.split('.')[2]);
    });

    it('records a refused request as a FAILURE of app.oauth2.token.grant without the assertion', async () => {
      const assertion = await mintAssertion(org, client, (a) => void (a.payload.aud = org.url));
      await post(clientCredentialsForm(assertion, SCOPE));
      const event = lastEvent(org);
      expect(event).to.deep.include({ eventType: 'app.oauth2.token.grant', outcome: { result: 'FAILURE', reason: INVALID_AUDIENCE } });
      expect(event.actor).to.include({ id: client.clientId });
      expect(event.debugContext.debugData).to.include({ errorCode: 'client_assertion_invalid_audience' });
      expect(JSON.stringify(org.emulator.store.logs)).to.not.include(assertion.split('.')[2]);
    });
  });
});

describe('org authorization server keys and metadata', () => {
  let org: TestOrg;
  before(async () => {
    org = await startOrg();
  });
  after(() => org.close());
  beforeEach(() => org.emulator.reset());

  it('serves the org signing key at /oauth2/v1/keys without authentication', async () => {
    const res = await call(org, 'GET', '/oauth2/v1/keys', { auth: null });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ keys: [(await org.emulator.org.signingKey.keys()).publicJwk] });
    expect(res.body.keys[0]).to.not.have.property('d');
    assertMatchesSpec('oauth', 'GET', '/oauth2/v1/keys', 200, res.body);
  });

  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    it(`serves the org AS metadata at ${path}`, async () => {
      const res = await call(org, 'GET', path, { auth: null });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({
        issuer: org.url,
        token_endpoint: `${org.url}/oauth2/v1/token`,
        jwks_uri: `${org.url}/oauth2/v1/keys`,
        registration_endpoint: `${org.url}/oauth2/v1/clients`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
      });
      expect(res.body.scopes_supported).to.include.members(['okta.riskEvents.manage', 'okta.riskProviders.manage', 'okta.logs.read']);
      const template = path.endsWith('openid-configuration') ? path : '/oauth2/{authorizationServerId}/.well-known/oauth-authorization-server';
      assertMatchesSpec('oauth', 'GET', template, 200, res.body);
    });
  }

  it('answers an unknown client_id on the metadata with 400 invalid_client', async () => {
    const res = await call(org, 'GET', '/.well-known/openid-configuration?client_id=0oaUnknownClient0001', { auth: null });
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.include({ errorCode: 'invalid_client', errorSummary: 'Invalid value for `client_id` parameter', errorCauses: [] });
    assertMatchesSpec('oauth', 'GET', '/.well-known/openid-configuration', 400, res.body);
  });

  it('serves the metadata for a known client_id', async () => {
    const known = await createServiceClient(org, { alg: 'ES256' });
    const res = await call(org, 'GET', `/.well-known/openid-configuration?client_id=${known.clientId}`, { auth: null });
    expect(res.status).to.equal(200);
    expect(res.body.issuer).to.equal(org.url);
  });
});
