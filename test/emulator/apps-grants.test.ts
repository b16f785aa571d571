import { expect } from 'chai';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { OKTA_SCOPES } from '../../src/emulator/scopes.ts';
import { orgAccessToken, call, START, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSpec } from '../helpers/openapi.ts';

const ADMIN = { id: '00uadminEmulator0001', type: 'User' };

function expectValidationFailed(res: CallResult, fields: string, causes: string[]): void {
  expect(res.status).to.equal(400);
  expect(res.body).to.include({ errorCode: 'E0000001', errorSummary: `Api validation failed: ${fields}`, errorLink: 'E0000001' });
  expect(res.body.errorCauses).to.deep.equal(causes.map((errorSummary) => ({ errorSummary })));
}

function expectAppNotFound(res: CallResult, appId: string): void {
  expect(res.status).to.equal(404);
  expect(res.body).to.include({ errorCode: 'E0000007', errorSummary: `Not found: Resource not found: ${appId} (AppInstance)`, errorLink: 'E0000007' });
  expect(res.body.errorCauses).to.deep.equal([]);
}

/** An org access token for `clientId`, signed with the org's own key, to exercise the scope checks. */
async function bearer(org: TestOrg, clientId: string, scopes: string[]): Promise<string> {
  return `Bearer ${await orgAccessToken(org, clientId, scopes)}`;
}

describe('Apps API and scope grants (/api/v1/apps)', () => {
  let org: TestOrg;
  let jwk: JWK;

  before(async () => {
    org = await startOrg();
    jwk = { ...(await exportJWK((await generateKeyPair('RS256', { modulusLength: 2048 })).publicKey)), kid: 'key1' };
  });
  after(() => org.close());
  beforeEach(() => {
    org.emulator.reset();
    // Tests move the clock; each starts again at START so timestamps can be asserted exactly.
    org.clock.set(START);
  });

  async function registerService(name = 'Risk Provider Example'): Promise<string> {
    const res = await call(org, 'POST', '/oauth2/v1/clients', {
      body: {
        client_name: name,
        response_types: ['token'],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        application_type: 'service',
        jwks: { keys: [jwk] },
      },
    });
    expect(res.status).to.equal(201);
    return res.body.client_id;
  }

  const grant = (appId: string, body: unknown, auth?: string) => call(org, 'POST', `/api/v1/apps/${appId}/grants`, { body, auth });
  const riskGrant = () => ({ issuer: org.url, scopeId: 'okta.riskEvents.manage' });
  const lastEvent = () => org.emulator.store.logs.at(-1)?.event as any;

  describe('GET /api/v1/apps/{appId}', () => {
    it("returns a DCR client as Okta's OIDC app", async () => {
      const appId = await registerService();
      const res = await call(org, 'GET', `/api/v1/apps/${appId}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({
        id: appId,
        name: 'oidc_client',
        label: 'Risk Provider Example',
        status: 'ACTIVE',
        signOnMode: 'OPENID_CONNECT',
        created: new Date(START).toISOString(),
        lastUpdated: new Date(START).toISOString(),
      });
      expect(res.body.credentials.oauthClient).to.deep.equal({ autoKeyRotation: true, client_id: appId, token_endpoint_auth_method: 'private_key_jwt' });
      expect(res.body.settings.oauthClient).to.deep.include({
        application_type: 'service',
        grant_types: ['client_credentials'],
        response_types: ['token'],
        consent_method: 'REQUIRED',
        dpop_bound_access_tokens: false,
        jwks: { keys: [{ ...jwk, use: null }] },
      });
      expect(res.body._links.deactivate).to.deep.equal({ href: `${org.url}/api/v1/apps/${appId}/lifecycle/deactivate` });
      expect(res.body._links).to.not.have.property('activate');
    });

    it('answers an unknown app with 404 E0000007 naming the AppInstance', async () => {
      const res = await call(org, 'GET', '/api/v1/apps/0oaUnknownApp0000001');
      expectAppNotFound(res, '0oaUnknownApp0000001');
      assertMatchesSpec('management', 'GET', '/api/v1/apps/{appId}', 404, res.body);
    });

    it('answers a request without Authorization with 403 E0000005', async () => {
      const appId = await registerService();
      const res = await call(org, 'GET', `/api/v1/apps/${appId}`, { auth: null });
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ errorCode: 'E0000005', errorSummary: 'Invalid session' });
    });

    it('answers a wrong SSWS token with 401 E0000011', async () => {
      const appId = await registerService();
      const res = await call(org, 'GET', `/api/v1/apps/${appId}`, { auth: 'SSWS 00wrong' });
      expect(res.status).to.equal(401);
      expect(res.body).to.include({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    });

    it('lets a bearer token with okta.apps.read read the app', async () => {
      const appId = await registerService();
      const res = await call(org, 'GET', `/api/v1/apps/${appId}`, { auth: await bearer(org, appId, ['okta.apps.read']) });
      expect(res.status).to.equal(200);
    });

    it('refuses a bearer token without okta.apps.read', async () => {
      const appId = await registerService();
      const res = await call(org, 'GET', `/api/v1/apps/${appId}`, { auth: await bearer(org, appId, ['okta.apps.manage']) });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.contain('scope="okta.apps.read"');
    });
  });

  describe('lifecycle', () => {
    it('deactivates an app with 200 {} and shows it INACTIVE with an activate link', async () => {
      const appId = await registerService();
      org.clock.advance(5000);
      const res = await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({});
      const app = (await call(org, 'GET', `/api/v1/apps/${appId}`)).body;
      expect(app).to.include({ status: 'INACTIVE', lastUpdated: new Date(START + 5000).toISOString() });
      expect(app._links.activate).to.deep.equal({ href: `${org.url}/api/v1/apps/${appId}/lifecycle/activate` });
    });

    it('records application.lifecycle.deactivate', async () => {
      const appId = await registerService();
      await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
      expect(lastEvent()).to.include({ eventType: 'application.lifecycle.deactivate', legacyEventType: 'app.generic.config.app_deactivated' });
      expect(lastEvent().target[0]).to.include({ id: appId, type: 'AppInstance' });
    });

    it('answers a second deactivate with 200 and records nothing more', async () => {
      const appId = await registerService();
      await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
      const logs = org.emulator.store.logs.length;
      const res = await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
      expect(res.status).to.equal(200);
      expect(org.emulator.store.logs).to.have.length(logs);
    });

    it('activates an inactive app with 200 {} and records application.lifecycle.activate', async () => {
      const appId = await registerService();
      await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
      const res = await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/activate`);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({});
      expect(org.emulator.store.apps.get(appId)!.status).to.equal('ACTIVE');
      expect(lastEvent()).to.include({ eventType: 'application.lifecycle.activate' });
    });

    it('answers lifecycle calls on an unknown app with 404 E0000007', async () => {
      expectAppNotFound(await call(org, 'POST', '/api/v1/apps/0oaUnknownApp0000001/lifecycle/deactivate'), '0oaUnknownApp0000001');
      expectAppNotFound(await call(org, 'POST', '/api/v1/apps/0oaUnknownApp0000001/lifecycle/activate'), '0oaUnknownApp0000001');
    });

    it('refuses deactivation to a bearer token with only okta.apps.read', async () => {
      const appId = await registerService();
      const res = await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`, { auth: await bearer(org, appId, ['okta.apps.read']) });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.contain('scope="okta.apps.manage"');
      expect(org.emulator.store.apps.get(appId)!.status).to.equal('ACTIVE');
    });
  });

  describe('DELETE /api/v1/apps/{appId}', () => {
    it('refuses to delete an ACTIVE app with 403 E0000056', async () => {
      const appId = await registerService();
      const res = await call(org, 'DELETE', `/api/v1/apps/${appId}`);
      expect(res.status).to.equal(403);
      assertMatchesSpec('management', 'DELETE', '/api/v1/apps/{appId}', 403, res.body);
      expect(res.body).to.include({ errorCode: 'E0000056', errorSummary: 'Delete application forbidden.', errorLink: 'E0000056' });
      expect(res.body.errorCauses).to.deep.equal([{ errorSummary: 'The application must be deactivated before deletion.' }]);
      expect(org.emulator.store.apps.has(appId)).to.equal(true);
    });

    it('deletes the app with 204 once it is deactivated', async () => {
      const appId = await registerService();
      await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
      const res = await call(org, 'DELETE', `/api/v1/apps/${appId}`);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expectAppNotFound(await call(org, 'GET', `/api/v1/apps/${appId}`), appId);
    });

    it("removes the app's grants with it", async () => {
      const appId = await registerService();
      const other = await registerService('other');
      await grant(appId, riskGrant());
      await grant(other, riskGrant());
      await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
      await call(org, 'DELETE', `/api/v1/apps/${appId}`);
      expect([...org.emulator.store.grants.values()].map((g) => g.appId)).to.deep.equal([other]);
    });

    it('records application.lifecycle.delete', async () => {
      const appId = await registerService();
      await call(org, 'POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
      await call(org, 'DELETE', `/api/v1/apps/${appId}`);
      expect(lastEvent()).to.include({ eventType: 'application.lifecycle.delete' });
    });

    it('answers an unknown app with 404 E0000007', async () => {
      expectAppNotFound(await call(org, 'DELETE', '/api/v1/apps/0oaUnknownApp0000001'), '0oaUnknownApp0000001');
    });
  });

  describe('POST /api/v1/apps/{appId}/grants', () => {
    it("grants a scope with 201 and Okta's grant object", async () => {
      const appId = await registerService();
      const res = await grant(appId, riskGrant());
      expect(res.status).to.equal(201);
      assertMatchesSpec('management', 'POST', '/api/v1/apps/{appId}/grants', 201, res.body);
      expect(res.body.id).to.match(/^oag[A-Za-z0-9]{17}$/);
      expect(res.body).to.deep.equal({
        id: res.body.id,
        status: 'ACTIVE',
        created: new Date(START).toISOString(),
        createdBy: ADMIN,
        lastUpdated: new Date(START).toISOString(),
        issuer: org.url,
        clientId: appId,
        scopeId: 'okta.riskEvents.manage',
        source: 'ADMIN',
        _embedded: { scope: { id: 'okta.riskEvents.manage' } },
        _links: {
          app: { href: `${org.url}/api/v1/apps/${appId}`, title: 'Risk Provider Example' },
          self: { href: `${org.url}/api/v1/apps/${appId}/grants/${res.body.id}`, hints: { allow: ['GET', 'DELETE'] } },
          client: { href: `${org.url}/oauth2/v1/clients/${appId}`, title: 'Risk Provider Example' },
        },
      });
    });

    it('stores the grant for the app', async () => {
      const appId = await registerService();
      const res = await grant(appId, riskGrant());
      expect(org.emulator.store.grants.get(res.body.id)).to.include({ appId, scopeId: 'okta.riskEvents.manage', issuer: org.url, status: 'ACTIVE', source: 'ADMIN' });
    });

    it('names the OAuth client as creator when a bearer token grants', async () => {
      const appId = await registerService();
      const admin = await registerService('admin client');
      const res = await grant(appId, riskGrant(), await bearer(org, admin, ['okta.appGrants.manage']));
      expect(res.status).to.equal(201);
      expect(res.body.createdBy).to.deep.equal({ id: admin, type: 'PublicClientApp' });
    });

    it('refuses a bearer token with only okta.appGrants.read', async () => {
      const appId = await registerService();
      const res = await grant(appId, riskGrant(), await bearer(org, appId, ['okta.appGrants.read']));
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.contain('scope="okta.appGrants.manage"');
    });

    it('records app.oauth2.admin.consent.grant with the app and the grant as targets', async () => {
      const appId = await registerService();
      const res = await grant(appId, riskGrant());
      expect(lastEvent()).to.include({ eventType: 'app.oauth2.admin.consent.grant', legacyEventType: 'app.oauth2.admin.consent.grant_success' });
      expect(lastEvent().target).to.deep.equal([
        { id: appId, type: 'AppInstance', alternateId: 'Risk Provider Example', displayName: 'Risk Provider Example', detailEntry: { signOnModeType: 'OPENID_CONNECT' } },
        { id: res.body.id, type: 'OAuth2ScopeConsentGrant', alternateId: 'okta.riskEvents.manage', displayName: 'okta.riskEvents.manage' },
      ]);
    });

    for (const scopeId of ['okta.riskEvents.manage', 'okta.riskProviders.read', 'okta.riskProviders.manage', 'okta.logs.read', 'okta.apps.read', 'okta.apps.manage', 'okta.clients.read', 'okta.clients.manage', 'okta.clients.register', 'okta.appGrants.read', 'okta.appGrants.manage', 'okta.users.read', 'okta.users.manage', 'okta.groups.read', 'okta.groups.manage']) {
      it(`grants the Okta scope ${scopeId}`, async () => {
        const appId = await registerService();
        expect(OKTA_SCOPES).to.include(scopeId);
        expect((await grant(appId, { issuer: org.url, scopeId })).status).to.equal(201);
      });
    }

    it('rejects a missing issuer with 400 E0000001 naming issuer', async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { scopeId: 'okta.riskEvents.manage' }), 'issuer', ["issuer: The field can't be left blank."]);
    });

    it('rejects an issuer that is not a string', async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { issuer: 1, scopeId: 'okta.riskEvents.manage' }), 'issuer', ['issuer: The field must be a string.']);
    });

    it("rejects an issuer with a trailing slash (it must equal the org URL exactly)", async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { issuer: `${org.url}/`, scopeId: 'okta.riskEvents.manage' }), 'issuer', [
        `issuer: The issuer must be this org's authorization server, '${org.url}'.`,
      ]);
    });

    it("rejects another org's issuer", async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { issuer: 'https://other.okta.com', scopeId: 'okta.riskEvents.manage' }), 'issuer', [
        `issuer: The issuer must be this org's authorization server, '${org.url}'.`,
      ]);
    });

    it('rejects a missing scopeId', async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { issuer: org.url }), 'scopeId', ["scopeId: The field can't be left blank."]);
    });

    it('rejects a scopeId that is not an Okta scope', async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { issuer: org.url, scopeId: 'okta.riskEvents.read' }), 'scopeId', ["scopeId: 'okta.riskEvents.read' isn't an Okta scope."]);
    });

    it('rejects a scopeId in the wrong case (scope names are exact)', async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { issuer: org.url, scopeId: 'okta.riskevents.manage' }), 'scopeId', ["scopeId: 'okta.riskevents.manage' isn't an Okta scope."]);
    });

    it('rejects a scopeId that is not a string', async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { issuer: org.url, scopeId: ['okta.logs.read'] }), 'scopeId', ['scopeId: The field must be a string.']);
    });

    it('rejects a field besides issuer and scopeId', async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, { ...riskGrant(), status: 'ACTIVE' }), 'status', ["status: The field can't be set: send only 'issuer' and 'scopeId'."]);
    });

    it('names every bad field in one answer', async () => {
      const appId = await registerService();
      expectValidationFailed(await grant(appId, {}), 'issuer, scopeId', ["issuer: The field can't be left blank.", "scopeId: The field can't be left blank."]);
    });

    it('rejects a body that is a JSON array with E0000003', async () => {
      const appId = await registerService();
      const res = await grant(appId, [riskGrant()]);
      expect(res.status).to.equal(400);
      expect(res.body).to.include({ errorCode: 'E0000003', errorSummary: 'The request body was not well-formed.' });
    });

    it('rejects a second active grant of the same scope', async () => {
      const appId = await registerService();
      await grant(appId, riskGrant());
      expectValidationFailed(await grant(appId, riskGrant()), 'scopeId', ["scopeId: The app already has an active grant for 'okta.riskEvents.manage'."]);
    });

    it('grants the same scope to two different apps', async () => {
      const first = await registerService();
      const second = await registerService('second');
      await grant(first, riskGrant());
      expect((await grant(second, riskGrant())).status).to.equal(201);
    });

    it('grants a scope again after its grant was revoked', async () => {
      const appId = await registerService();
      const first = await grant(appId, riskGrant());
      await call(org, 'DELETE', `/api/v1/apps/${appId}/grants/${first.body.id}`);
      expect((await grant(appId, riskGrant())).status).to.equal(201);
    });

    it('answers an unknown app with 404 E0000007', async () => {
      expectAppNotFound(await grant('0oaUnknownApp0000001', riskGrant()), '0oaUnknownApp0000001');
    });

    it('answers a request without Authorization with 403 E0000005', async () => {
      const appId = await registerService();
      const res = await call(org, 'POST', `/api/v1/apps/${appId}/grants`, { body: riskGrant(), auth: null });
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ errorCode: 'E0000005', errorSummary: 'Invalid session' });
      expect(org.emulator.store.grants.size).to.equal(0);
    });

    it('answers a wrong SSWS token with 401 E0000011', async () => {
      const appId = await registerService();
      const res = await grant(appId, riskGrant(), 'SSWS 00wrong');
      expect(res.status).to.equal(401);
      expect(res.body).to.include({ errorCode: 'E0000011' });
    });

    it('never changes state when a grant is rejected', async () => {
      const appId = await registerService();
      await grant(appId, riskGrant());
      const before = org.emulator.store.snapshot();
      const logs = org.emulator.store.logs.length;
      await grant(appId, riskGrant());
      await grant(appId, { issuer: `${org.url}/`, scopeId: 'okta.logs.read' });
      await grant(appId, { issuer: org.url, scopeId: 'okta.logs.read', extra: 1 });
      await grant(appId, { issuer: org.url, scopeId: 'okta.logs.read' }, 'SSWS 00wrong');
      await grant('0oaUnknownApp0000001', riskGrant());
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
      expect(org.emulator.store.logs).to.have.length(logs);
    });
  });

  describe('GET /api/v1/apps/{appId}/grants', () => {
    it("lists the app's grants, oldest first, without _embedded", async () => {
      const appId = await registerService();
      const other = await registerService('other');
      const a = await grant(appId, riskGrant());
      org.clock.advance(1000);
      const b = await grant(appId, { issuer: org.url, scopeId: 'okta.logs.read' });
      await grant(other, riskGrant());
      const res = await call(org, 'GET', `/api/v1/apps/${appId}/grants`);
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'GET', '/api/v1/apps/{appId}/grants', 200, res.body);
      expect(res.body.map((g: { id: string }) => g.id)).to.deep.equal([a.body.id, b.body.id]);
      expect(res.body[0]).to.not.have.property('_embedded');
    });

    it('embeds the scope with expand=scope', async () => {
      const appId = await registerService();
      await grant(appId, riskGrant());
      const res = await call(org, 'GET', `/api/v1/apps/${appId}/grants?expand=scope`);
      expect(res.body[0]._embedded).to.deep.equal({ scope: { id: 'okta.riskEvents.manage' } });
    });

    it('rejects an expand other than scope', async () => {
      const appId = await registerService();
      expectValidationFailed(await call(org, 'GET', `/api/v1/apps/${appId}/grants?expand=user`), 'expand', ["expand: The only valid value is 'scope'."]);
    });

    it('answers an unknown app with 404 E0000007', async () => {
      expectAppNotFound(await call(org, 'GET', '/api/v1/apps/0oaUnknownApp0000001/grants'), '0oaUnknownApp0000001');
    });

    it('lets a bearer token with okta.appGrants.read list grants', async () => {
      const appId = await registerService();
      const res = await call(org, 'GET', `/api/v1/apps/${appId}/grants`, { auth: await bearer(org, appId, ['okta.appGrants.read']) });
      expect(res.status).to.equal(200);
    });

    it('refuses a bearer token without okta.appGrants.read', async () => {
      const appId = await registerService();
      const res = await call(org, 'GET', `/api/v1/apps/${appId}/grants`, { auth: await bearer(org, appId, ['okta.appGrants.manage']) });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.contain('scope="okta.appGrants.read"');
    });
  });

  describe('GET /api/v1/apps/{appId}/grants/{grantId}', () => {
    it('returns the grant', async () => {
      const appId = await registerService();
      const created = await grant(appId, riskGrant());
      const res = await call(org, 'GET', `/api/v1/apps/${appId}/grants/${created.body.id}`);
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'GET', '/api/v1/apps/{appId}/grants/{grantId}', 200, res.body);
      const { _embedded, ...withoutEmbedded } = created.body;
      expect(res.body).to.deep.equal(withoutEmbedded);
    });

    it('embeds the scope with expand=scope', async () => {
      const appId = await registerService();
      const created = await grant(appId, riskGrant());
      const res = await call(org, 'GET', `/api/v1/apps/${appId}/grants/${created.body.id}?expand=scope`);
      expect(res.body).to.deep.equal(created.body);
    });

    it("answers another app's grant with 404 E0000007", async () => {
      const appId = await registerService();
      const other = await registerService('other');
      const created = await grant(other, riskGrant());
      const res = await call(org, 'GET', `/api/v1/apps/${appId}/grants/${created.body.id}`);
      expect(res.status).to.equal(404);
      expect(res.body).to.include({ errorCode: 'E0000007', errorSummary: `Not found: Resource not found: ${created.body.id} (OAuth2ScopeConsentGrant)` });
    });

    it('answers an unknown grant with 404 E0000007', async () => {
      const appId = await registerService();
      const res = await call(org, 'GET', `/api/v1/apps/${appId}/grants/oagUnknownGrant00001`);
      expect(res.status).to.equal(404);
      assertMatchesSpec('management', 'GET', '/api/v1/apps/{appId}/grants/{grantId}', 404, res.body);
      expect(res.body.errorSummary).to.equal('Not found: Resource not found: oagUnknownGrant00001 (OAuth2ScopeConsentGrant)');
    });
  });

  describe('DELETE /api/v1/apps/{appId}/grants/{grantId}', () => {
    it('revokes the grant with 204, after which it is not found', async () => {
      const appId = await registerService();
      const created = await grant(appId, riskGrant());
      const res = await call(org, 'DELETE', `/api/v1/apps/${appId}/grants/${created.body.id}`);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect((await call(org, 'GET', `/api/v1/apps/${appId}/grants/${created.body.id}`)).status).to.equal(404);
      expect((await call(org, 'GET', `/api/v1/apps/${appId}/grants`)).body).to.deep.equal([]);
    });

    it('records app.oauth2.admin.consent.revoke', async () => {
      const appId = await registerService();
      const created = await grant(appId, riskGrant());
      await call(org, 'DELETE', `/api/v1/apps/${appId}/grants/${created.body.id}`);
      expect(lastEvent()).to.include({ eventType: 'app.oauth2.admin.consent.revoke', legacyEventType: 'app.oauth2.admin.consent.revoke_success' });
      expect(lastEvent().target[1]).to.include({ id: created.body.id, alternateId: 'okta.riskEvents.manage' });
    });

    it('answers an unknown grant with 404 E0000007 and changes nothing', async () => {
      const appId = await registerService();
      await grant(appId, riskGrant());
      const before = org.emulator.store.snapshot();
      const res = await call(org, 'DELETE', `/api/v1/apps/${appId}/grants/oagUnknownGrant00001`);
      expect(res.status).to.equal(404);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('refuses a bearer token with only okta.appGrants.read', async () => {
      const appId = await registerService();
      const created = await grant(appId, riskGrant());
      const res = await call(org, 'DELETE', `/api/v1/apps/${appId}/grants/${created.body.id}`, { auth: await bearer(org, appId, ['okta.appGrants.read']) });
      expect(res.status).to.equal(403);
      expect(org.emulator.store.grants.has(created.body.id)).to.equal(true);
    });
  });
});
