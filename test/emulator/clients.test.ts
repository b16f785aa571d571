import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { orgAccessToken, call, serviceClientBody, START, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSpec } from '../helpers/openapi.ts';

/**
 * Okta's spec gives `Client.jwks.keys` a self-referencing `oneOf` that the validator cannot walk, so success
 * bodies are checked against the spec without `jwks`, and `jwks` is compared member for member instead.
 */
function assertClientMatchesSpec(method: string, path: string, status: number, body: Record<string, unknown>): void {
  const { jwks: _jwks, ...rest } = body;
  assertMatchesSpec('oauth', method, path, status, rest);
}

function expectMetadataError(res: CallResult, description: string): void {
  expect(res.status).to.equal(400);
  expect(res.body).to.deep.equal({ error: 'invalid_client_metadata', error_description: description });
}

function expectValidationFailed(res: CallResult, field: string, cause: string): void {
  expect(res.status).to.equal(400);
  expect(res.body).to.include({ errorCode: 'E0000001', errorSummary: `Api validation failed: ${field}`, errorLink: 'E0000001' });
  expect(res.body.errorCauses).to.deep.equal([{ errorSummary: cause }]);
}

/** An org access token for `clientId`, signed with the org's own key, to exercise the scope checks. */
async function bearer(org: TestOrg, clientId: string, scopes: string[]): Promise<string> {
  return `Bearer ${await orgAccessToken(org, clientId, scopes)}`;
}

/** Every `link` header line of a response, as separate values (fetch would join them). */
function linkHeaderLines(org: TestOrg, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = request(org.url + path, { headers: { authorization: `SSWS ${org.apiToken}`, accept: 'application/json' } }, (res) => {
      const lines: string[] = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i]!.toLowerCase() === 'link') lines.push(res.rawHeaders[i + 1]!);
      res.resume();
      res.on('end', () => resolve(lines));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Dynamic Client Registration (/oauth2/v1/clients)', () => {
  let org: TestOrg;
  let rsa: JWK;
  let rsa2: JWK;
  let rsaPrivate: JWK;
  let ec: JWK;

  before(async () => {
    org = await startOrg();
    const first = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    rsa = await exportJWK(first.publicKey);
    rsaPrivate = await exportJWK(first.privateKey);
    rsa2 = await exportJWK((await generateKeyPair('RS256', { modulusLength: 2048 })).publicKey);
    ec = await exportJWK((await generateKeyPair('ES256')).publicKey);
  });
  after(() => org.close());
  beforeEach(() => {
    org.emulator.reset();
    // Tests move the clock; each starts again at START so timestamps can be asserted exactly.
    org.clock.set(START);
  });

  /** The guide's service client, with one RSA key. */
  const serviceClient = (overrides: Record<string, unknown> = {}): Record<string, unknown> => serviceClientBody(rsa, overrides);

  function webClient(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { client_name: 'Web client', redirect_uris: ['https://app.example.com/callback'], ...overrides };
  }

  const register = (body: unknown) => call(org, 'POST', '/oauth2/v1/clients', { body });
  const withKeys = (...keys: unknown[]) => serviceClient({ jwks: { keys } });

  describe('POST (register)', () => {
    it("registers a private_key_jwt service client with 201 and Okta's documented response", async () => {
      const res = await register(serviceClient());
      expect(res.status).to.equal(201);
      assertClientMatchesSpec('POST', '/oauth2/v1/clients', 201, res.body);
      expect(res.body.client_id).to.match(/^0oa[A-Za-z0-9]{17}$/);
      expect(res.body).to.deep.equal({
        client_id: res.body.client_id,
        client_id_issued_at: START / 1000,
        client_name: 'Risk Provider Example',
        client_uri: null,
        logo_uri: null,
        redirect_uris: [],
        response_types: ['token'],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        application_type: 'service',
        jwks: { keys: [{ ...rsa, kid: 'key1', use: null }] },
      });
    });

    it('returns no client_secret and no client_secret_expires_at for private_key_jwt', async () => {
      const res = await register(serviceClient());
      expect(res.body).to.not.have.any.keys('client_secret', 'client_secret_expires_at');
    });

    it('keeps a key\'s "use": "sig" and every other member as sent', async () => {
      const key = { ...rsa, kid: 'k-sig', use: 'sig', alg: 'RS256' };
      const res = await register(withKeys(key));
      expect(res.body.jwks).to.deep.equal({ keys: [key] });
    });

    it('stores the client as an ACTIVE app whose id is the client_id', async () => {
      const res = await register(serviceClient());
      const app = org.emulator.store.apps.get(res.body.client_id);
      expect(app).to.include({ id: res.body.client_id, status: 'ACTIVE', created: new Date(START).toISOString(), issuedAt: START / 1000 });
      expect(app!.metadata.client_name).to.equal('Risk Provider Example');
    });

    it("fills in Okta's defaults: web, authorization_code, code, client_secret_basic", async () => {
      const res = await register(webClient());
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ application_type: 'web', token_endpoint_auth_method: 'client_secret_basic' });
      expect(res.body.grant_types).to.deep.equal(['authorization_code']);
      expect(res.body.response_types).to.deep.equal(['code']);
    });

    for (const method of ['client_secret_basic', 'client_secret_post', 'client_secret_jwt']) {
      it(`returns a random client_secret with client_secret_expires_at 0 for ${method}`, async () => {
        const first = await register(webClient({ token_endpoint_auth_method: method }));
        const second = await register(webClient({ token_endpoint_auth_method: method }));
        expect(first.status).to.equal(201);
        assertClientMatchesSpec('POST', '/oauth2/v1/clients', 201, first.body);
        expect(first.body.client_secret).to.match(/^[A-Za-z0-9_-]{40}$/);
        expect(first.body.client_secret).to.not.equal(second.body.client_secret);
        expect(first.body.client_secret_expires_at).to.equal(0);
      });
    }

    it('echoes jwks_uri instead of jwks for a client registered with an https jwks_uri', async () => {
      const body = serviceClient({ jwks: undefined, jwks_uri: 'https://keys.example.com/jwks.json' });
      delete body.jwks;
      const res = await register(body);
      expect(res.status).to.equal(201);
      expect(res.body.jwks_uri).to.equal('https://keys.example.com/jwks.json');
      expect(res.body).to.not.have.property('jwks');
    });

    it("accepts a single key whose kid is null, the guide's shape", async () => {
      const res = await register(withKeys({ ...rsa, kid: null, use: 'sig', alg: 'RS256' }));
      expect(res.status).to.equal(201);
      expect(res.body.jwks.keys[0].kid).to.equal(null);
    });

    it('accepts an EC P-256 signing key', async () => {
      const res = await register(withKeys({ ...ec, kid: 'ec1', alg: 'ES256' }));
      expect(res.status).to.equal(201);
      expect(res.body.jwks.keys).to.deep.equal([{ ...ec, kid: 'ec1', alg: 'ES256', use: null }]);
    });

    it('accepts an RSA encryption key beside a signing key', async () => {
      const res = await register(withKeys({ ...rsa, kid: 'sig1', use: 'sig' }, { ...rsa2, kid: 'enc1', use: 'enc', alg: 'RSA-OAEP-256' }));
      expect(res.status).to.equal(201);
    });

    it('accepts a service client with client_credentials and saml2-bearer', async () => {
      const res = await register(serviceClient({ grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:saml2-bearer'] }));
      expect(res.status).to.equal(201);
    });

    it('accepts a service client that sends no response type (an empty array), as the spec allows for client_credentials', async () => {
      const res = await register(serviceClient({ response_types: [] }));
      expect(res.status).to.equal(201);
      expect(res.body.response_types).to.deep.equal([]);
    });

    it('records application.lifecycle.create in the System Log with the app as target', async () => {
      const res = await register(serviceClient());
      const events = org.emulator.store.logs.map((l) => l.event);
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ eventType: 'application.lifecycle.create', legacyEventType: 'app.app_editor.app.create' });
      expect((events[0] as any).target).to.deep.equal([
        { id: res.body.client_id, type: 'AppInstance', alternateId: 'Risk Provider Example', displayName: 'Risk Provider Example', detailEntry: { signOnModeType: 'OPENID_CONNECT' } },
      ]);
      expect((events[0] as any).actor.type).to.equal('User');
    });
  });

  describe('POST: client metadata validation', () => {
    it("rejects a missing client_name with \"`client_name`: The field can't be left blank.\"", async () => {
      const body = serviceClient();
      delete body.client_name;
      expectMetadataError(await register(body), "`client_name`: The field can't be left blank.");
    });

    it('rejects a blank client_name', async () => {
      expectMetadataError(await register(serviceClient({ client_name: '   ' })), "`client_name`: The field can't be left blank.");
    });

    it('rejects a null client_name as blank', async () => {
      expectMetadataError(await register(serviceClient({ client_name: null })), "`client_name`: The field can't be left blank.");
    });

    it('rejects a client_name that is not a string, without coercion', async () => {
      expectMetadataError(await register(serviceClient({ client_name: 42 })), '`client_name`: The field must be a string.');
    });

    it('rejects an application_type outside the enum', async () => {
      expectMetadataError(
        await register(serviceClient({ application_type: 'daemon' })),
        "`application_type`: 'daemon' isn't a valid value. Valid values: [browser, native, service, web].",
      );
    });

    it('rejects an application_type that is not a string', async () => {
      expectMetadataError(await register(serviceClient({ application_type: ['service'] })), '`application_type`: The field must be a string.');
    });

    it('rejects a token_endpoint_auth_method outside the enum', async () => {
      expectMetadataError(
        await register(serviceClient({ token_endpoint_auth_method: 'tls_client_auth' })),
        "`token_endpoint_auth_method`: 'tls_client_auth' isn't a valid value. Valid values: [client_secret_basic, client_secret_jwt, client_secret_post, none, private_key_jwt].",
      );
    });

    it('rejects a grant_types item outside the enum', async () => {
      const res = await register(serviceClient({ grant_types: ['client_credential'] }));
      expect(res.status).to.equal(400);
      expect(res.body.error_description).to.match(/^`grant_types`: 'client_credential' isn't a valid value\. Valid values: \[authorization_code, client_credentials, /);
    });

    it('rejects grant_types given as a string instead of an array', async () => {
      expectMetadataError(await register(serviceClient({ grant_types: 'client_credentials' })), '`grant_types`: The field must be an array of strings.');
    });

    it('rejects a grant_types array holding a non-string', async () => {
      expectMetadataError(await register(serviceClient({ grant_types: [1] })), '`grant_types`: The field must be an array of strings.');
    });

    it('rejects an empty grant_types array', async () => {
      expectMetadataError(await register(serviceClient({ grant_types: [] })), "`grant_types`: The field can't be left blank.");
    });

    it('rejects a grant type listed twice', async () => {
      expectMetadataError(
        await register(serviceClient({ grant_types: ['client_credentials', 'client_credentials'] })),
        "`grant_types`: The field can't contain the same value twice.",
      );
    });

    it('rejects a response_types item outside the enum', async () => {
      expectMetadataError(
        await register(serviceClient({ response_types: ['access_token'] })),
        "`response_types`: 'access_token' isn't a valid value. Valid values: [code, id_token, none, token].",
      );
    });

    it('rejects response_types that is not an array', async () => {
      expectMetadataError(await register(serviceClient({ response_types: 'token' })), '`response_types`: The field must be an array of strings.');
    });

    it('rejects an unknown top-level field instead of dropping it', async () => {
      expectMetadataError(
        await register(serviceClient({ dpop_bound_access_tokens: false })),
        "`dpop_bound_access_tokens`: The field isn't a recognized client metadata field.",
      );
    });

    for (const field of ['client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at']) {
      it(`rejects the read-only ${field} on registration`, async () => {
        expectMetadataError(await register(serviceClient({ [field]: field === 'client_id' || field === 'client_secret' ? 'x'.repeat(20) : 0 })), `\`${field}\`: The field is read-only and can't be set.`);
      });
    }

    it('rejects a service client with a grant type other than client_credentials', async () => {
      expectMetadataError(
        await register(serviceClient({ grant_types: ['client_credentials', 'authorization_code'] })),
        "`grant_types`: 'authorization_code' can't be used by a 'service' client.",
      );
    });

    it('rejects a service client without client_credentials', async () => {
      expectMetadataError(
        await register(serviceClient({ grant_types: ['urn:ietf:params:oauth:grant-type:saml2-bearer'] })),
        "`grant_types`: A 'service' client must use the 'client_credentials' grant type.",
      );
    });

    it('rejects a service client whose response_types are not [token]', async () => {
      expectMetadataError(
        await register(serviceClient({ response_types: ['token', 'code'] })),
        "`response_types`: A 'service' client can only use the 'token' response type.",
      );
    });

    it("rejects a service client with token_endpoint_auth_method 'none'", async () => {
      const body = serviceClient({ token_endpoint_auth_method: 'none' });
      expectMetadataError(await register(body), "`token_endpoint_auth_method`: A 'service' client must authenticate; 'none' isn't allowed.");
    });

    it('rejects an authorization_code client without redirect_uris', async () => {
      expectMetadataError(await register({ client_name: 'Web client' }), "`redirect_uris`: The field can't be left blank.");
    });

    it('rejects a redirect URI that is not absolute', async () => {
      expectMetadataError(await register(webClient({ redirect_uris: ['/callback'] })), "`redirect_uris`: '/callback' isn't an absolute URI.");
    });

    it('rejects a redirect URI with a fragment', async () => {
      expectMetadataError(
        await register(webClient({ redirect_uris: ['https://app.example.com/cb#x'] })),
        "`redirect_uris`: 'https://app.example.com/cb#x' can't include a fragment component.",
      );
    });

    it('rejects a client_uri that is not an absolute URI', async () => {
      expectMetadataError(await register(serviceClient({ client_uri: 'example.com' })), '`client_uri`: The field must be an absolute URI.');
    });

    it('rejects a logo_uri that is not a string', async () => {
      expectMetadataError(await register(serviceClient({ logo_uri: 7 })), '`logo_uri`: The field must be a string.');
    });

    it('echoes a client_uri and logo_uri that are absolute URIs', async () => {
      const res = await register(serviceClient({ client_uri: 'https://risk.example.com', logo_uri: 'https://risk.example.com/logo.png' }));
      expect(res.body).to.include({ client_uri: 'https://risk.example.com', logo_uri: 'https://risk.example.com/logo.png' });
    });

    it('rejects frontchannel_logout_session_required given as a string', async () => {
      expectMetadataError(
        await register(webClient({ frontchannel_logout_session_required: 'true' })),
        '`frontchannel_logout_session_required`: The field must be a boolean.',
      );
    });

    it('rejects private_key_jwt without jwks or jwks_uri', async () => {
      const body = serviceClient();
      delete body.jwks;
      expectMetadataError(
        await register(body),
        "`jwks`: The field can't be left blank when 'token_endpoint_auth_method' is 'private_key_jwt'. Provide 'jwks' or 'jwks_uri'.",
      );
    });

    it('rejects jwks and jwks_uri together', async () => {
      expectMetadataError(await register(serviceClient({ jwks_uri: 'https://keys.example.com/jwks.json' })), "`jwks_uri`: 'jwks' and 'jwks_uri' can't both be set.");
    });

    it('rejects a jwks_uri that is not https', async () => {
      const body = serviceClient({ jwks_uri: 'http://keys.example.com/jwks.json' });
      delete body.jwks;
      expectMetadataError(await register(body), "`jwks_uri`: The field must be an absolute 'https' URI.");
    });

    it('rejects a body that is not a JSON object with the generic invalid_client_metadata text', async () => {
      expectMetadataError(await register([serviceClient()]), 'Invalid request');
    });

    it('answers malformed JSON with 400 invalid_request, as every OAuth endpoint answers a body it cannot read', async () => {
      const res = await call(org, 'POST', '/oauth2/v1/clients', { body: '{"client_name":', headers: { 'content-type': 'application/json' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ error: 'invalid_request', error_description: 'Invalid request' });
    });

    it('answers a non-JSON content type with 400 invalid_request', async () => {
      const res = await call(org, 'POST', '/oauth2/v1/clients', { body: 'client_name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ error: 'invalid_request', error_description: 'Invalid request' });
    });
  });

  describe('POST: jwks validation', () => {
    it("rejects a jwks that is not {keys: [...]}", async () => {
      const text = "`jwks`: The field must be a JSON Web Key Set: an object with a 'keys' array and nothing else.";
      expectMetadataError(await register(serviceClient({ jwks: [{ ...rsa, kid: 'k' }] })), text);
    });

    it('rejects a jwks with a member besides keys', async () => {
      const text = "`jwks`: The field must be a JSON Web Key Set: an object with a 'keys' array and nothing else.";
      expectMetadataError(await register(serviceClient({ jwks: { keys: [{ ...rsa, kid: 'k' }], extra: true } })), text);
    });

    it('rejects a null jwks', async () => {
      const text = "`jwks`: The field must be a JSON Web Key Set: an object with a 'keys' array and nothing else.";
      expectMetadataError(await register(serviceClient({ jwks: null })), text);
    });

    it('rejects an empty keys array', async () => {
      expectMetadataError(await register(withKeys()), "`jwks`: The 'keys' array must contain at least one key.");
    });

    it('rejects more than 50 keys', async () => {
      const keys = Array.from({ length: 51 }, (_, i) => ({ ...rsa, kid: `k${i}` }));
      expectMetadataError(await register(withKeys(...keys)), "`jwks`: The 'jwks' can't contain more than 50 keys.");
    });

    it('accepts 50 keys', async () => {
      const keys = Array.from({ length: 50 }, (_, i) => ({ ...rsa, kid: `k${i}` }));
      expect((await register(withKeys(...keys))).status).to.equal(201);
    });

    it('rejects a key that is not an object', async () => {
      expectMetadataError(await register(withKeys('key1')), '`jwks`: Each key must be a JSON object.');
    });

    it('rejects a key whose kty is neither RSA nor EC', async () => {
      expectMetadataError(await register(withKeys({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'k' })), "`jwks`: Invalid value specified for key 'kty' parameter");
    });

    it('rejects an RSA key without n', async () => {
      const { n: _n, ...key } = rsa;
      expectMetadataError(await register(withKeys({ ...key, kid: 'k' })), "`jwks`: An RSA key must have the 'n' and 'e' parameters as base64url strings.");
    });

    it('rejects an RSA key without e', async () => {
      const { e: _e, ...key } = rsa;
      expectMetadataError(await register(withKeys({ ...key, kid: 'k' })), "`jwks`: An RSA key must have the 'n' and 'e' parameters as base64url strings.");
    });

    it('rejects an RSA key whose n is not base64url', async () => {
      expectMetadataError(await register(withKeys({ ...rsa, n: 'not base64url!', kid: 'k' })), "`jwks`: An RSA key must have the 'n' and 'e' parameters as base64url strings.");
    });

    it('rejects an RSA key shorter than 2048 bits', async () => {
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
      expectMetadataError(await register(withKeys({ ...small, kid: 'k' })), "`jwks`: RSA key length in the 'jwks' is less than '2,048' bits for the given key.");
    });

    for (const member of ['crv', 'x', 'y']) {
      it(`rejects an EC key without ${member}`, async () => {
        const key: Record<string, unknown> = { ...ec, kid: 'k' };
        delete key[member];
        expectMetadataError(await register(withKeys(key)), "`jwks`: An EC key must have the 'crv', 'x' and 'y' parameters as base64url strings.");
      });
    }

    it('rejects an EC key on an unsupported curve', async () => {
      expectMetadataError(await register(withKeys({ ...ec, crv: 'P-192', kid: 'k' })), "`jwks`: Invalid value specified for key 'crv' parameter");
    });

    it('rejects an EC key whose point is not on its curve', async () => {
      expectMetadataError(await register(withKeys({ ...ec, y: ec.x, kid: 'k' })), "`jwks`: A key in the 'jwks' isn't a valid public key.");
    });

    it("rejects a key whose use is neither 'sig' nor 'enc'", async () => {
      expectMetadataError(await register(withKeys({ ...rsa, kid: 'k', use: 'signing' })), "`jwks`: Invalid value specified for key 'use' parameter");
    });

    it('rejects an EC encryption key (only RSA keys encrypt)', async () => {
      expectMetadataError(await register(withKeys({ ...ec, kid: 'k', use: 'enc' })), "`jwks`: Only RSA keys can be used for encryption ('use': 'enc').");
    });

    it("rejects an alg that does not fit the key's type", async () => {
      expectMetadataError(await register(withKeys({ ...rsa, kid: 'k', alg: 'ES256' })), "`jwks`: Invalid value specified for key 'alg' parameter");
    });

    it("rejects an EC alg that does not fit the key's curve", async () => {
      expectMetadataError(await register(withKeys({ ...ec, kid: 'k', alg: 'ES384' })), "`jwks`: Invalid value specified for key 'alg' parameter");
    });

    it('rejects a kid that is not a string', async () => {
      expectMetadataError(await register(withKeys({ ...rsa, kid: 1 })), "`jwks`: Invalid value specified for key 'kid' parameter");
    });

    it('rejects two keys with the same kid', async () => {
      expectMetadataError(await register(withKeys({ ...rsa, kid: 'same' }, { ...rsa2, kid: 'same' })), "`jwks`: All keys in the 'jwks' must have a unique `kid`.");
    });

    it('rejects several keys when one has no kid', async () => {
      expectMetadataError(await register(withKeys({ ...rsa, kid: 'a' }, { ...rsa2 })), '`jwks`: Each key should have a unique kid when adding multiple keys.');
    });

    it('rejects several keys when one has a null kid', async () => {
      expectMetadataError(await register(withKeys({ ...rsa, kid: null }, { ...rsa2, kid: 'b' })), '`jwks`: Each key should have a unique kid when adding multiple keys.');
    });

    it('rejects two encryption keys', async () => {
      expectMetadataError(
        await register(withKeys({ ...rsa, kid: 'a', use: 'enc' }, { ...rsa2, kid: 'b', use: 'enc' })),
        "`jwks`: The client can have only one active encryption key in the 'jwks'.",
      );
    });

    it('rejects a key member the JWK type does not have', async () => {
      expectMetadataError(await register(withKeys({ ...rsa, kid: 'k', x5c: ['MIIB'] })), "`jwks`: Unrecognized key parameter 'x5c' for a 'RSA' key.");
    });

    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      it(`rejects a key carrying the private member '${member}'`, async () => {
        const value = (rsaPrivate as Record<string, unknown>)[member] ?? 'AAAA';
        expectMetadataError(await register(withKeys({ ...rsa, kid: 'k', [member]: value })), `\`jwks\`: The 'jwks' must contain public keys only: remove the private key parameter '${member}'.`);
      });
    }
  });

  describe('a rejected request never changes state', () => {
    it('leaves the org untouched after rejected registrations', async () => {
      const before = org.emulator.store.snapshot();
      const logs = org.emulator.store.logs.length;
      await register(serviceClient({ client_name: '' }));
      await register(withKeys({ ...rsa, kid: 'a' }, { ...rsa, kid: 'a' }));
      await register(withKeys({ ...rsaPrivate, kid: 'k' }));
      await call(org, 'POST', '/oauth2/v1/clients', { body: serviceClient(), auth: 'SSWS wrong' });
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
      expect(org.emulator.store.logs).to.have.length(logs);
    });

    it('leaves the client untouched after a rejected replacement', async () => {
      const { body: created } = await register(serviceClient());
      const before = org.emulator.store.snapshot();
      const logs = org.emulator.store.logs.length;
      org.clock.advance(1000);
      await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_name: 'Renamed', jwks: { keys: [] } }) });
      await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_name: 'Renamed', application_type: 'web' }) });
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
      expect(org.emulator.store.logs).to.have.length(logs);
    });
  });

  describe('auth', () => {
    it('answers a request without Authorization with 403 E0000005', async () => {
      const res = await call(org, 'POST', '/oauth2/v1/clients', { body: serviceClient(), auth: null });
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ errorCode: 'E0000005', errorSummary: 'Invalid session' });
    });

    it('answers a wrong SSWS token with 401 E0000011', async () => {
      const res = await call(org, 'GET', '/oauth2/v1/clients', { auth: 'SSWS not-the-token' });
      expect(res.status).to.equal(401);
      expect(res.body).to.include({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    });

    it('lets a bearer token with okta.clients.register register a client', async () => {
      const { body: caller } = await register(serviceClient({ client_name: 'caller' }));
      const res = await call(org, 'POST', '/oauth2/v1/clients', { body: serviceClient(), auth: await bearer(org, caller.client_id, ['okta.clients.register']) });
      expect(res.status).to.equal(201);
    });

    it('refuses registration to a bearer token with only okta.clients.read', async () => {
      const { body: caller } = await register(serviceClient({ client_name: 'caller' }));
      const res = await call(org, 'POST', '/oauth2/v1/clients', { body: serviceClient(), auth: await bearer(org, caller.client_id, ['okta.clients.read']) });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.contain('error="insufficient_scope"').and.contain('scope="okta.clients.register"');
    });

    it('lets a bearer token with okta.clients.read list and read clients', async () => {
      const { body: caller } = await register(serviceClient({ client_name: 'caller' }));
      const auth = await bearer(org, caller.client_id, ['okta.clients.read']);
      expect((await call(org, 'GET', '/oauth2/v1/clients', { auth })).status).to.equal(200);
      expect((await call(org, 'GET', `/oauth2/v1/clients/${caller.client_id}`, { auth })).status).to.equal(200);
    });

    it('refuses reads to a bearer token with only okta.clients.register', async () => {
      const { body: caller } = await register(serviceClient({ client_name: 'caller' }));
      const res = await call(org, 'GET', '/oauth2/v1/clients', { auth: await bearer(org, caller.client_id, ['okta.clients.register']) });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.contain('scope="okta.clients.read"');
    });

    it('lets a bearer token with okta.clients.manage replace and delete', async () => {
      const { body: caller } = await register(serviceClient({ client_name: 'caller' }));
      const { body: target } = await register(serviceClient());
      const auth = await bearer(org, caller.client_id, ['okta.clients.manage']);
      expect((await call(org, 'PUT', `/oauth2/v1/clients/${target.client_id}`, { body: serviceClient(), auth })).status).to.equal(200);
      expect((await call(org, 'DELETE', `/oauth2/v1/clients/${target.client_id}`, { auth })).status).to.equal(204);
    });

    it('refuses replace and delete to a bearer token with only okta.clients.read', async () => {
      const { body: caller } = await register(serviceClient({ client_name: 'caller' }));
      const { body: target } = await register(serviceClient());
      const auth = await bearer(org, caller.client_id, ['okta.clients.read']);
      const put = await call(org, 'PUT', `/oauth2/v1/clients/${target.client_id}`, { body: serviceClient(), auth });
      const del = await call(org, 'DELETE', `/oauth2/v1/clients/${target.client_id}`, { auth });
      expect([put.status, del.status]).to.deep.equal([403, 403]);
      expect(put.headers.get('www-authenticate')).to.contain('scope="okta.clients.manage"');
      expect(org.emulator.store.apps.has(target.client_id)).to.equal(true);
    });
  });

  describe('GET (list)', () => {
    async function registerMany(count: number, name = (i: number) => `client ${String(i).padStart(2, '0')}`): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        ids.push((await register(serviceClient({ client_name: name(i) }))).body.client_id);
        org.clock.advance(1);
      }
      return ids;
    }

    /** Follows `rel="next"` links from `path`, returning every page's ids. */
    async function walk(path: string): Promise<string[][]> {
      const pages: string[][] = [];
      let next: string | undefined = path;
      while (next !== undefined) {
        const res: CallResult = await call(org, 'GET', next);
        expect(res.status).to.equal(200);
        pages.push(res.body.map((c: { client_id: string }) => c.client_id));
        const match = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '');
        next = match ? match[1]!.slice(org.url.length) : undefined;
      }
      return pages;
    }

    it("returns the clients in Okta's Client shape", async () => {
      await registerMany(2);
      const res = await call(org, 'GET', '/oauth2/v1/clients');
      expect(res.status).to.equal(200);
      expect(res.body).to.have.length(2);
      assertMatchesSpec('oauth', 'GET', '/oauth2/v1/clients', 200, res.body.map(({ jwks: _j, ...c }: Record<string, unknown>) => c));
      expect(res.body[0]).to.not.have.property('client_secret');
    });

    it('sends only a self link, for limit=20, when everything fits on one page', async () => {
      await registerMany(3);
      expect(await linkHeaderLines(org, '/oauth2/v1/clients')).to.deep.equal([`<${org.url}/oauth2/v1/clients?limit=20>; rel="self"`]);
    });

    it('sends self and next as two separate Link header values when there is more', async () => {
      await registerMany(21);
      const lines = await linkHeaderLines(org, '/oauth2/v1/clients');
      expect(lines).to.have.length(2);
      expect(lines[0]).to.equal(`<${org.url}/oauth2/v1/clients?limit=20>; rel="self"`);
      expect(lines[1]).to.match(new RegExp(`^<${org.url}/oauth2/v1/clients\\?after=[A-Za-z0-9_-]+&limit=20>; rel="next"$`));
    });

    it('pages 25 clients as 20 then 5 by following the next link', async () => {
      const ids = await registerMany(25);
      const pages = await walk('/oauth2/v1/clients');
      expect(pages.map((p) => p.length)).to.deep.equal([20, 5]);
      expect(pages.flat()).to.have.members(ids);
    });

    it('pages 25 clients as 10, 10 and 5 with limit=10', async () => {
      const ids = await registerMany(25);
      const pages = await walk('/oauth2/v1/clients?limit=10');
      expect(pages.map((p) => p.length)).to.deep.equal([10, 10, 5]);
      expect(pages.flat()).to.deep.equal(ids);
    });

    it('keeps a cursor valid after the client it points at is deleted', async () => {
      await registerMany(4);
      const first = await call(org, 'GET', '/oauth2/v1/clients?limit=2');
      const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link')!)![1]!.slice(org.url.length);
      await call(org, 'DELETE', `/oauth2/v1/clients/${first.body[1].client_id}`);
      const second = await call(org, 'GET', next);
      expect(second.body).to.have.length(2);
    });

    it('accepts limit=1 and limit=200', async () => {
      await registerMany(2);
      expect((await call(org, 'GET', '/oauth2/v1/clients?limit=1')).body).to.have.length(1);
      expect((await call(org, 'GET', '/oauth2/v1/clients?limit=200')).body).to.have.length(2);
    });

    for (const limit of ['0', '201', 'abc', '1.5', '-1', '']) {
      it(`rejects limit=${limit} with 400 E0000001 naming limit`, async () => {
        const res = await call(org, 'GET', `/oauth2/v1/clients?limit=${limit}`);
        expectValidationFailed(res, 'limit', 'limit: The value must be an integer from 1 to 200.');
      });
    }

    it('rejects a repeated limit', async () => {
      expectValidationFailed(await call(org, 'GET', '/oauth2/v1/clients?limit=5&limit=6'), 'limit', 'limit: The parameter can only be given once.');
    });

    it('rejects an after cursor the list did not give out', async () => {
      expectValidationFailed(
        await call(org, 'GET', '/oauth2/v1/clients?after=0oa123'),
        'after',
        'after: The cursor is not one this list gave out; take it from the Link header.',
      );
    });

    it('filters on client_name with a case-insensitive startsWith q', async () => {
      await registerMany(3, (i) => ['Risk Provider A', 'risk provider B', 'Other Risk'][i]!);
      const res = await call(org, 'GET', '/oauth2/v1/clients?q=RISK%20prov');
      expect(res.body.map((c: { client_name: string }) => c.client_name)).to.have.members(['Risk Provider A', 'risk provider B']);
    });

    it('carries q into the next link', async () => {
      await registerMany(3, () => 'Risk client');
      const res = await call(org, 'GET', '/oauth2/v1/clients?q=Risk&limit=2');
      expect(res.headers.get('link')).to.match(/\?after=[A-Za-z0-9_-]+&limit=2&q=Risk>; rel="next"/);
      expect((await walk('/oauth2/v1/clients?q=Risk&limit=2')).flat()).to.have.length(3);
    });
  });

  describe('GET (one)', () => {
    it('returns the registered client without its secret', async () => {
      const { body: created } = await register(serviceClient());
      const res = await call(org, 'GET', `/oauth2/v1/clients/${created.client_id}`);
      expect(res.status).to.equal(200);
      assertClientMatchesSpec('GET', '/oauth2/v1/clients/{clientId}', 200, res.body);
      expect(res.body).to.deep.equal(created);
    });

    it('shows client_secret_expires_at but not client_secret for a secret-based client', async () => {
      const { body: created } = await register(webClient());
      const res = await call(org, 'GET', `/oauth2/v1/clients/${created.client_id}`);
      expect(res.body.client_secret_expires_at).to.equal(0);
      expect(res.body).to.not.have.property('client_secret');
    });

    it('answers an unknown clientId with 404 E0000007 naming the OAuth2Client', async () => {
      const res = await call(org, 'GET', '/oauth2/v1/clients/0oaUnknownClient0001');
      expect(res.status).to.equal(404);
      assertMatchesSpec('oauth', 'GET', '/oauth2/v1/clients/{clientId}', 404, res.body);
      expect(res.body).to.include({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: 0oaUnknownClient0001 (OAuth2Client)', errorLink: 'E0000007' });
      expect(res.body.errorCauses).to.deep.equal([]);
    });
  });

  describe('PUT (replace)', () => {
    it('replaces the whole client and answers 200 with it', async () => {
      const { body: created } = await register(serviceClient({ logo_uri: 'https://risk.example.com/logo.png' }));
      org.clock.advance(60_000);
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_name: 'Renamed', jwks: { keys: [{ ...rsa2, kid: 'key2' }] } }) });
      expect(res.status).to.equal(200);
      assertClientMatchesSpec('PUT', '/oauth2/v1/clients/{clientId}', 200, res.body);
      expect(res.body).to.include({ client_id: created.client_id, client_id_issued_at: created.client_id_issued_at, client_name: 'Renamed', logo_uri: null });
      expect(res.body.jwks).to.deep.equal({ keys: [{ ...rsa2, kid: 'key2', use: null }] });
      expect(org.emulator.store.apps.get(created.client_id)!.lastUpdated).to.equal(new Date(START + 60_000).toISOString());
    });

    it('records application.lifecycle.update', async () => {
      const { body: created } = await register(serviceClient());
      await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_name: 'Renamed' }) });
      const last = org.emulator.store.logs.at(-1)!.event as any;
      expect(last.eventType).to.equal('application.lifecycle.update');
      expect(last.target[0]).to.include({ id: created.client_id, alternateId: 'Renamed' });
    });

    it('accepts the GET body sent back unchanged, read-only members and "use": null included', async () => {
      const { body: created } = await register(serviceClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: created });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(created);
    });

    it('rejects a client_id that is not the client being replaced', async () => {
      const { body: created } = await register(serviceClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_id: '0oaSomeoneElse000001' }) });
      expectMetadataError(res, '`client_id`: The field is read-only and must match the current value.');
    });

    it('rejects a client_id_issued_at that is not the current one', async () => {
      const { body: created } = await register(serviceClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_id_issued_at: created.client_id_issued_at + 1 }) });
      expectMetadataError(res, '`client_id_issued_at`: The field is read-only and must match the current value.');
    });

    it('rejects a change of application_type', async () => {
      const { body: created } = await register(serviceClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: webClient({ client_name: 'now web' }) });
      expectMetadataError(res, "`application_type`: The field can't be changed after the client is created.");
    });

    it('validates the replacement like a registration', async () => {
      const { body: created } = await register(serviceClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_name: '' }) });
      expectMetadataError(res, "`client_name`: The field can't be left blank.");
    });

    it('shows the unchanged secret of a secret-based client again on replace', async () => {
      const { body: created } = await register(webClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: webClient({ client_name: 'Renamed' }) });
      expect(res.body).to.include({ client_secret: created.client_secret, client_secret_expires_at: 0 });
    });

    it('accepts the current client_secret echoed back', async () => {
      const { body: created } = await register(webClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: webClient({ client_secret: created.client_secret, client_secret_expires_at: 0 }) });
      expect(res.status).to.equal(200);
    });

    it('rejects a client_secret that is not the current one', async () => {
      const { body: created } = await register(webClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: webClient({ client_secret: 'chosen-by-the-caller-0000000000' }) });
      expectMetadataError(res, '`client_secret`: The field is read-only and must match the current value.');
    });

    it("rejects a client_secret for a private_key_jwt client", async () => {
      const { body: created } = await register(serviceClient());
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_secret: 'x'.repeat(40) }) });
      expectMetadataError(res, "`client_secret`: 'client_secret' can't be used when 'token_endpoint_auth_method' is 'private_key_jwt'.");
    });

    it('drops the secret when a client moves to private_key_jwt', async () => {
      const { body: created } = await register(serviceClient({ token_endpoint_auth_method: 'client_secret_basic' }));
      expect(created.client_secret).to.be.a('string');
      const res = await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient() });
      expect(res.body).to.not.have.any.keys('client_secret', 'client_secret_expires_at');
    });

    it('answers an unknown clientId with 404 E0000007', async () => {
      const res = await call(org, 'PUT', '/oauth2/v1/clients/0oaUnknownClient0001', { body: serviceClient() });
      expect(res.status).to.equal(404);
      expect(res.body.errorSummary).to.equal('Not found: Resource not found: 0oaUnknownClient0001 (OAuth2Client)');
    });
  });

  describe('DELETE', () => {
    it('deletes an ACTIVE client with 204 and no body, without deactivation', async () => {
      const { body: created } = await register(serviceClient());
      const res = await call(org, 'DELETE', `/oauth2/v1/clients/${created.client_id}`);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect((await call(org, 'GET', `/oauth2/v1/clients/${created.client_id}`)).status).to.equal(404);
    });

    it("deletes the app's grants with it", async () => {
      const { body: created } = await register(serviceClient());
      const grant = await call(org, 'POST', `/api/v1/apps/${created.client_id}/grants`, { body: { issuer: org.url, scopeId: 'okta.riskEvents.manage' } });
      expect(grant.status).to.equal(201);
      await call(org, 'DELETE', `/oauth2/v1/clients/${created.client_id}`);
      expect(org.emulator.store.grants.size).to.equal(0);
    });

    it('records application.lifecycle.delete', async () => {
      const { body: created } = await register(serviceClient());
      await call(org, 'DELETE', `/oauth2/v1/clients/${created.client_id}`);
      const last = org.emulator.store.logs.at(-1)!.event as any;
      expect(last).to.include({ eventType: 'application.lifecycle.delete' });
      expect(last.target[0].id).to.equal(created.client_id);
    });

    it('answers an unknown clientId with 404 E0000007', async () => {
      const res = await call(org, 'DELETE', '/oauth2/v1/clients/0oaUnknownClient0001');
      expect(res.status).to.equal(404);
      expect(res.body).to.include({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: 0oaUnknownClient0001 (OAuth2Client)' });
    });
  });

  describe('System Log event types', () => {
    const catalog = new URL('../fixtures/catalogs/event-type-ids.json', import.meta.url);

    it("records only event types from Okta's catalog", async () => {
      const known = new Set(JSON.parse(readFileSync(catalog, 'utf8')).ids as string[]);
      const { body: created } = await register(serviceClient());
      await call(org, 'PUT', `/oauth2/v1/clients/${created.client_id}`, { body: serviceClient({ client_name: 'x' }) });
      await call(org, 'DELETE', `/oauth2/v1/clients/${created.client_id}`);
      const types = org.emulator.store.logs.map((l) => l.event.eventType);
      expect(types).to.deep.equal(['application.lifecycle.create', 'application.lifecycle.update', 'application.lifecycle.delete']);
      for (const type of types) expect(known.has(type), type).to.equal(true);
    });
  });
});
