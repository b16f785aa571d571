import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { clientCredentialsForm, createServiceClient, grant, mintAssertion, type ServiceClient } from '../helpers/assertion.ts';
import { call, orgAccessToken, START, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSpec } from '../helpers/openapi.ts';

const SCOPE = 'okta.riskProviders.read';

function expectValidationFailed(res: CallResult, field: string, cause: string): void {
  expect({ status: res.status, errorCode: res.body?.errorCode, errorSummary: res.body?.errorSummary, errorCauses: res.body?.errorCauses }).to.deep.equal({
    status: 400,
    errorCode: 'E0000001',
    errorSummary: `Api validation failed: ${field}`,
    errorCauses: [{ errorSummary: cause }],
  });
}

describe('Apps API replace (PUT /api/v1/apps/{appId})', () => {
  let org: TestOrg;
  let client: ServiceClient;

  beforeEach(async () => {
    org = await startOrg();
    client = await createServiceClient(org);
    grant(org, client.clientId, SCOPE);
  });
  afterEach(() => org.close());

  const path = (): string => `/api/v1/apps/${client.clientId}`;
  const current = async (): Promise<any> => (await call(org, 'GET', path())).body;
  const put = (body: unknown, auth?: string): Promise<CallResult> => call(org, 'PUT', path(), { body, auth });

  /** The app as GET shows it, changed by `edit`, PUT back: the documented way to change one setting. */
  async function replace(edit: (app: any) => void): Promise<CallResult> {
    const app = await current();
    edit(app);
    return put(app);
  }

  async function tokenRequest(): Promise<CallResult> {
    const form = new URLSearchParams(clientCredentialsForm(await mintAssertion(org, client), SCOPE));
    return call(org, 'POST', '/oauth2/v1/token', { auth: null, body: form });
  }

  describe('accepts', () => {
    it('answers the app as GET shows it, PUT back unchanged, with 200 and the same body but lastUpdated', async () => {
      const before = await current();
      org.clock.advance(7000);
      const res = await put(before);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...before, lastUpdated: new Date(START + 7000).toISOString() });
    });

    it('binds the app to DPoP with settings.oauthClient.dpop_bound_access_tokens true', async () => {
      const res = await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = true));
      expect(res.body.settings.oauthClient.dpop_bound_access_tokens).to.equal(true);
      expect((await current()).settings.oauthClient.dpop_bound_access_tokens).to.equal(true);
    });

    it('makes the token endpoint require a DPoP proof once the app is bound', async () => {
      await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = true));
      const res = await tokenRequest();
      expect({ status: res.status, body: res.body }).to.deep.equal({
        status: 400,
        body: { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' },
      });
    });

    it('unbinds the app with dpop_bound_access_tokens false, so it gets a Bearer token again', async () => {
      await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = true));
      await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = false));
      const res = await tokenRequest();
      expect({ status: res.status, tokenType: res.body.token_type }).to.deep.equal({ status: 200, tokenType: 'Bearer' });
    });

    it('resets the binding to false when the replacement leaves dpop_bound_access_tokens out', async () => {
      await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = true));
      const res = await replace((app) => delete app.settings.oauthClient.dpop_bound_access_tokens);
      expect(res.body.settings.oauthClient.dpop_bound_access_tokens).to.equal(false);
    });

    it('renames the app with label, as DCR then shows client_name', async () => {
      await replace((app) => (app.label = 'Renamed provider'));
      const res = await call(org, 'GET', `/oauth2/v1/clients/${client.clientId}`);
      expect(res.body.client_name).to.equal('Renamed provider');
    });

    it('keeps consent_method TRUSTED when the replacement sets it', async () => {
      const res = await replace((app) => (app.settings.oauthClient.consent_method = 'TRUSTED'));
      expect(res.body.settings.oauthClient.consent_method).to.equal('TRUSTED');
    });

    it('ignores the system-assigned id, status, created and lastUpdated in the body', async () => {
      const res = await replace((app) => Object.assign(app, { id: '0oaOther000000000001', status: 'INACTIVE', created: '2000-01-01T00:00:00.000Z', lastUpdated: '2000-01-01T00:00:00.000Z' }));
      expect(res.body).to.include({ id: client.clientId, status: 'ACTIVE', created: new Date(START).toISOString(), lastUpdated: new Date(START).toISOString() });
    });

    it('records application.lifecycle.update with the app as target', async () => {
      await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = true));
      const event = org.emulator.store.logs.at(-1)!.event as any;
      expect({ eventType: event.eventType, legacyEventType: event.legacyEventType, displayMessage: event.displayMessage, target: event.target[0].id }).to.deep.equal({
        eventType: 'application.lifecycle.update',
        legacyEventType: 'app.app_editor.app.update',
        displayMessage: 'Update application',
        target: client.clientId,
      });
    });

    it('lets a bearer token with okta.apps.manage replace the app', async () => {
      const app = await current();
      const res = await put(app, `Bearer ${await orgAccessToken(org, client.clientId, ['okta.apps.manage'])}`);
      expect(res.status).to.equal(200);
    });

    it('does not show the binding in the DCR client, whose schema has no such field', async () => {
      await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = true));
      const res = await call(org, 'GET', `/oauth2/v1/clients/${client.clientId}`);
      expect(res.body).to.not.have.property('dpop_bound_access_tokens');
    });

    it('keeps the binding when the client is replaced through DCR, which cannot express it', async () => {
      await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = true));
      const dcr = (await call(org, 'GET', `/oauth2/v1/clients/${client.clientId}`)).body;
      expect((await call(org, 'PUT', `/oauth2/v1/clients/${client.clientId}`, { body: dcr })).status).to.equal(200);
      expect((await current()).settings.oauthClient.dpop_bound_access_tokens).to.equal(true);
    });
  });

  describe('refuses', () => {
    it('a bearer token without okta.apps.manage with 403 and the scope it lacks', async () => {
      const app = await current();
      const res = await put(app, `Bearer ${await orgAccessToken(org, client.clientId, ['okta.apps.read'])}`);
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.contain('scope="okta.apps.manage"');
    });

    it('an unknown app with 404 E0000007 naming the AppInstance', async () => {
      const res = await call(org, 'PUT', '/api/v1/apps/0oaUnknownApp0000001', { body: await current() });
      expect({ status: res.status, errorCode: res.body.errorCode, errorSummary: res.body.errorSummary }).to.deep.equal({
        status: 404,
        errorCode: 'E0000007',
        errorSummary: 'Not found: Resource not found: 0oaUnknownApp0000001 (AppInstance)',
      });
    });

    it('a body that is not a JSON object with 400 E0000003', async () => {
      const res = await put([]);
      expect({ status: res.status, errorCode: res.body.errorCode, errorSummary: res.body.errorSummary }).to.deep.equal({
        status: 400,
        errorCode: 'E0000003',
        errorSummary: 'The request body was not well-formed.',
      });
    });

    it('a non-boolean dpop_bound_access_tokens', async () => {
      const res = await replace((app) => (app.settings.oauthClient.dpop_bound_access_tokens = 'true'));
      assertMatchesSpec('management', 'PUT', '/api/v1/apps/{appId}', 400, res.body);
      expectValidationFailed(res, 'settings.oauthClient.dpop_bound_access_tokens', 'settings.oauthClient.dpop_bound_access_tokens: The field must be a boolean.');
    });

    it('a member the schema does not have', async () => {
      const res = await replace((app) => (app.dpop = true));
      expectValidationFailed(res, 'dpop', "dpop: The field isn't a property of an OIDC application.");
    });

    it('an unknown settings.oauthClient member', async () => {
      const res = await replace((app) => (app.settings.oauthClient.dpop_bound = true));
      expectValidationFailed(res, 'settings.oauthClient.dpop_bound', "settings.oauthClient.dpop_bound: The field isn't a property of an OIDC application.");
    });

    it('a schema member the emulator does not model, rather than dropping it', async () => {
      const res = await replace((app) => (app.settings.oauthClient.refresh_token = { rotation_type: 'STATIC' }));
      expectValidationFailed(res, 'settings.oauthClient.refresh_token', "settings.oauthClient.refresh_token: The field isn't supported for an app whose 'application_type' is 'service'.");
    });

    it('a missing label', async () => {
      const res = await replace((app) => delete app.label);
      expectValidationFailed(res, 'label', "label: The field can't be left blank.");
    });

    it('a name other than oidc_client', async () => {
      const res = await replace((app) => (app.name = 'bookmark'));
      expectValidationFailed(res, 'name', "name: The app's name can't be changed: it must be 'oidc_client'.");
    });

    it('a signOnMode other than OPENID_CONNECT', async () => {
      const res = await replace((app) => (app.signOnMode = 'SAML_2_0'));
      expectValidationFailed(res, 'signOnMode', "signOnMode: The app's sign-on mode can't be changed: it must be 'OPENID_CONNECT'.");
    });

    it('a missing settings.oauthClient', async () => {
      const res = await replace((app) => delete app.settings.oauthClient);
      expectValidationFailed(res, 'settings.oauthClient', "settings.oauthClient: The field can't be left blank.");
    });

    it('a missing grant_types, which the schema requires', async () => {
      const res = await replace((app) => delete app.settings.oauthClient.grant_types);
      expectValidationFailed(res, 'settings.oauthClient.grant_types', "settings.oauthClient.grant_types: The field can't be left blank.");
    });

    it('a missing credentials', async () => {
      const res = await replace((app) => delete app.credentials);
      expectValidationFailed(res, 'credentials', "credentials: The field can't be left blank.");
    });

    it('a changed client_id', async () => {
      const res = await replace((app) => (app.credentials.oauthClient.client_id = 'another-client'));
      expectValidationFailed(res, 'credentials.oauthClient.client_id', `credentials.oauthClient.client_id: The field can't be changed: it must be '${client.clientId}'.`);
    });

    it('a changed token_endpoint_auth_method', async () => {
      const res = await replace((app) => (app.credentials.oauthClient.token_endpoint_auth_method = 'client_secret_basic'));
      expectValidationFailed(
        res,
        'credentials.oauthClient.token_endpoint_auth_method',
        "credentials.oauthClient.token_endpoint_auth_method: The field can't be changed here: it must be 'private_key_jwt'.",
      );
    });

    it("a client_secret with private_key_jwt, in the words of Okta's documented example", async () => {
      const res = await replace((app) => (app.credentials.oauthClient.client_secret = 'abcdefghijklmnopqrstuvwxyz0123456789'));
      expectValidationFailed(res, 'client_secret', "'client_secret' can't be used when 'token_endpoint_auth_method' is 'private_key_jwt'.");
    });

    it('a changed application_type, with the DCR rule at its Apps API path', async () => {
      const res = await replace((app) => (app.settings.oauthClient.application_type = 'web'));
      expectValidationFailed(res, 'settings.oauthClient.application_type', "settings.oauthClient.application_type: The field can't be changed after the client is created.");
    });

    it('a JWKS key shorter than 2048 bits, with the DCR rule', async () => {
      // jose refuses to make a key this small; node:crypto still will.
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const small = { ...publicKey.export({ format: 'jwk' }), kid: 'small' };
      const res = await replace((app) => (app.settings.oauthClient.jwks = { keys: [small] }));
      expectValidationFailed(res, 'settings.oauthClient.jwks', "settings.oauthClient.jwks: RSA key length in the 'jwks' is less than '2,048' bits for the given key.");
    });

    it('an issuer_mode other than ORG_URL', async () => {
      const res = await replace((app) => (app.settings.oauthClient.issuer_mode = 'CUSTOM_URL'));
      expectValidationFailed(res, 'settings.oauthClient.issuer_mode', "settings.oauthClient.issuer_mode: The org has no custom domain: the only valid value is 'ORG_URL'.");
    });

    it('a consent_method outside the enum', async () => {
      const res = await replace((app) => (app.settings.oauthClient.consent_method = 'IMPLICIT'));
      expectValidationFailed(res, 'settings.oauthClient.consent_method', "settings.oauthClient.consent_method: 'IMPLICIT' isn't a valid value. Valid values: [REQUIRED, TRUSTED].");
    });

    it('and changes nothing: a refused replacement leaves the app, its lastUpdated and the System Log as they were', async () => {
      const before = await current();
      const logs = org.emulator.store.logs.length;
      org.clock.advance(1000);
      await replace((app) => Object.assign(app, { label: 'New name', signOnMode: 'SAML_2_0' }));
      expect({ app: await current(), logs: org.emulator.store.logs.length }).to.deep.equal({ app: before, logs });
    });
  });
});
