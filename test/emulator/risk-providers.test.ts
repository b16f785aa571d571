import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { AppRecord } from '../../src/emulator/store.ts';
import { putServiceApp, orgAccessToken, call, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSpec } from '../helpers/openapi.ts';

const LIST = '/api/v1/risk/providers';
const ONE = '/api/v1/risk/providers/{riskProviderId}';

/** An org access token, signed exactly as the org's token endpoint signs one. */
const mintAccessToken = orgAccessToken;

/** Registers an app straight in the store, as DCR would have. */
function addApp(org: TestOrg, applicationType = 'service'): AppRecord {
  const id = `0oa${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 17)}`;
  return putServiceApp(org, id, { application_type: applicationType });
}

function defaultProviderId(org: TestOrg): string {
  const [first] = org.emulator.store.providers.keys();
  return first!;
}

function expectValidationError(res: CallResult, fields: string, causes: string[]): void {
  expect(res.status).to.equal(400);
  expect(res.body).to.include({ errorCode: 'E0000001', errorSummary: `Api validation failed: ${fields}`, errorLink: 'E0000001' });
  expect(res.body.errorCauses).to.deep.equal(causes.map((errorSummary) => ({ errorSummary })));
}

describe('Risk providers API (emulator)', () => {
  let org: TestOrg;

  before(async () => {
    org = await startOrg();
  });
  after(async () => {
    await org.close();
  });
  beforeEach(() => {
    org.emulator.reset();
  });

  describe('reading', () => {
    it('lists the seeded default provider as the guide shows it, as a bare array', async () => {
      const res = await call(org, 'GET', LIST);
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'GET', LIST, 200, res.body);
      expect(res.body).to.have.length(1);
      const id = defaultProviderId(org);
      // reset() seeds the default provider at the org's current time.
      const seededAt = new Date(org.clock.now()).toISOString();
      expect(res.body[0]).to.deep.equal({
        id,
        name: 'Default ',
        clientId: 'null',
        action: 'log_only',
        created: seededAt,
        lastUpdated: seededAt,
        _links: { self: { href: `${org.url}/api/v1/risk/providers/${id}`, hints: { allow: ['GET', 'PUT', 'DELETE'] } } },
      });
    });

    it('returns one provider by id', async () => {
      const id = defaultProviderId(org);
      const res = await call(org, 'GET', `${LIST}/${id}`);
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'GET', ONE, 200, res.body);
      expect(res.body).to.include({ id, name: 'Default ', clientId: 'null', action: 'log_only' });
    });

    it('gives rkp-prefixed 20-character ids', () => {
      expect(defaultProviderId(org)).to.match(/^rkp[A-Za-z0-9]{17}$/);
    });

    it('answers an unknown id on GET with 404 E0000007 naming the RiskProvider', async () => {
      const res = await call(org, 'GET', `${LIST}/rkpUnknown0000000000`);
      expect(res.status).to.equal(404);
      assertMatchesSpec('management', 'GET', ONE, 404, res.body);
      expect(res.body).to.include({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: rkpUnknown0000000000 (RiskProvider)' });
    });

    it('answers an unknown id on PUT with 404 E0000007', async () => {
      const res = await call(org, 'PUT', `${LIST}/rkpUnknown0000000000`, { body: { name: 'x', clientId: 'null' } });
      expect(res.status).to.equal(404);
      expect(res.body).to.include({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: rkpUnknown0000000000 (RiskProvider)' });
    });

    it('answers an unknown id on DELETE with 404 E0000007', async () => {
      const res = await call(org, 'DELETE', `${LIST}/rkpUnknown0000000000`);
      expect(res.status).to.equal(404);
      expect(res.body).to.include({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: rkpUnknown0000000000 (RiskProvider)' });
    });
  });

  describe('creating', () => {
    it('creates a provider linked to a service app with 201 and the full resource', async () => {
      const app = addApp(org);
      org.clock.advance(1000);
      const res = await call(org, 'POST', LIST, { body: { name: 'Risk-Partner-X', clientId: app.id, action: 'enforce_and_log' } });
      expect(res.status).to.equal(201);
      assertMatchesSpec('management', 'POST', LIST, 201, res.body);
      const now = new Date(org.clock.now()).toISOString();
      expect(res.body).to.include({ name: 'Risk-Partner-X', clientId: app.id, action: 'enforce_and_log', created: now, lastUpdated: now });
      expect(res.body.id).to.match(/^rkp[A-Za-z0-9]{17}$/);
      expect(res.body._links.self.href).to.equal(`${org.url}/api/v1/risk/providers/${res.body.id}`);
      expect((await call(org, 'GET', `${LIST}/${res.body.id}`)).body).to.deep.equal(res.body);
    });

    it('defaults an omitted action to log_only', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'No action', clientId: 'null' } });
      expect(res.status).to.equal(201);
      expect(res.body.action).to.equal('log_only');
    });

    it('accepts each documented action', async () => {
      for (const [i, action] of ['none', 'enforce_and_log'].entries()) {
        const res = await call(org, 'POST', LIST, { body: { name: `P${i}`, clientId: 'null', action } });
        expect(res.status, action).to.equal(201);
        expect(res.body.action).to.equal(action);
      }
    });

    it('rejects an action outside none|log_only|enforce_and_log', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'P', clientId: 'null', action: 'LOG_ONLY' } });
      expectValidationError(res, 'action', ['action: must be one of none, log_only, enforce_and_log']);
    });

    it('rejects a null action instead of defaulting it', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'P', clientId: 'null', action: null } });
      expectValidationError(res, 'action', ['action: must be one of none, log_only, enforce_and_log']);
    });

    it('rejects a missing name', async () => {
      const res = await call(org, 'POST', LIST, { body: { clientId: 'null' } });
      assertMatchesSpec('management', 'POST', LIST, 400, res.body);
      expectValidationError(res, 'name', ['name: is required']);
    });

    it('rejects a name that is not a string', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 42, clientId: 'null' } });
      expectValidationError(res, 'name', ['name: must be a string']);
    });

    it('rejects a blank name', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: '   ', clientId: 'null' } });
      expectValidationError(res, 'name', ['name: must not be blank']);
    });

    it('accepts a name of exactly 50 characters', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'n'.repeat(50), clientId: 'null' } });
      expect(res.status).to.equal(201);
      expect(res.body.name).to.have.length(50);
    });

    it('rejects a name of 51 characters', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'n'.repeat(51), clientId: 'null' } });
      expectValidationError(res, 'name', ['name: must be at most 50 characters']);
    });

    it("rejects another provider's name", async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'Default ', clientId: 'null' } });
      expectValidationError(res, 'name', ['name: a risk provider with this name already exists; choose another name']);
    });

    it("rejects another provider's name in a different case", async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'DEFAULT ', clientId: 'null' } });
      expectValidationError(res, 'name', ['name: a risk provider with this name already exists; choose another name']);
    });

    it('rejects a missing clientId', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'P' } });
      expectValidationError(res, 'clientId', ['clientId: is required']);
    });

    it('rejects a clientId that is not a string (no coercion of null)', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'P', clientId: null } });
      expectValidationError(res, 'clientId', ['clientId: must be a string']);
    });

    it('rejects a clientId that names no app', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'P', clientId: '0oaNoSuchApp00000000' } });
      expectValidationError(res, 'clientId', ['clientId: no app with this client_id exists; register the service app first or send "null"']);
    });

    it('rejects the clientId of an app that is not a service app', async () => {
      const app = addApp(org, 'web');
      const res = await call(org, 'POST', LIST, { body: { name: 'P', clientId: app.id } });
      expectValidationError(res, 'clientId', ['clientId: must be the client_id of a service app (application_type service), not web']);
    });

    it('rejects a clientId another provider already links', async () => {
      const app = addApp(org);
      expect((await call(org, 'POST', LIST, { body: { name: 'First', clientId: app.id } })).status).to.equal(201);
      const res = await call(org, 'POST', LIST, { body: { name: 'Second', clientId: app.id } });
      expectValidationError(res, 'clientId', ['clientId: is already linked to another risk provider; link each service app to one provider']);
    });

    it('lets several providers stay unlinked with clientId "null"', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'Unlinked', clientId: 'null' } });
      expect(res.status).to.equal(201);
      expect(res.body.clientId).to.equal('null');
    });

    it('rejects an unknown field', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: 'P', clientId: 'null', status: 'ACTIVE' } });
      expectValidationError(res, 'status', ['status: is not a recognized field; allowed fields are name, clientId, action, id, created, lastUpdated, _links']);
    });

    it('rejects a read-only id on create', async () => {
      const res = await call(org, 'POST', LIST, { body: { id: 'rkpChosenByCaller000', name: 'P', clientId: 'null' } });
      expectValidationError(res, 'id', ['id: is read-only; omit it when creating a risk provider']);
    });

    it('rejects a body that is not a JSON object', async () => {
      const res = await call(org, 'POST', LIST, { body: [{ name: 'P', clientId: 'null' }] });
      expectValidationError(res, 'body', ['body: must be a JSON object with name, clientId and an optional action']);
    });

    it('reports every failing field at once', async () => {
      const res = await call(org, 'POST', LIST, { body: { name: '', clientId: 7, action: 'block' } });
      expectValidationError(res, 'name, clientId, action', [
        'name: must not be blank',
        'clientId: must be a string',
        'action: must be one of none, log_only, enforce_and_log',
      ]);
    });

    it('rejects malformed JSON with E0000003', async () => {
      const res = await call(org, 'POST', LIST, { body: '{"name":', headers: { 'content-type': 'application/json' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.include({ errorCode: 'E0000003', errorSummary: 'The request body was not well-formed.' });
    });

    it('rejects a non-JSON content type with E0000021', async () => {
      const res = await call(org, 'POST', LIST, { body: 'name=P', headers: { 'content-type': 'text/plain' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.include({
        errorCode: 'E0000021',
        errorSummary: 'Bad request.  Accept and/or Content-Type headers likely do not match supported values.',
      });
    });

    it('allows a third provider', async () => {
      expect((await call(org, 'POST', LIST, { body: { name: 'Second', clientId: 'null' } })).status).to.equal(201);
      const res = await call(org, 'POST', LIST, { body: { name: 'Third', clientId: 'null' } });
      expect(res.status).to.equal(201);
      expect(org.emulator.store.providers.size).to.equal(3);
    });

    it('rejects a fourth provider because the maximum of 3 is reached', async () => {
      for (const name of ['Second', 'Third']) await call(org, 'POST', LIST, { body: { name, clientId: 'null' } });
      const before = org.emulator.store.snapshot();
      const res = await call(org, 'POST', LIST, { body: { name: 'Fourth', clientId: 'null' } });
      expectValidationError(res, 'riskProvider', [
        'riskProvider: the maximum of 3 providers is reached; update or delete an existing provider instead',
      ]);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('does not create anything when a create is rejected', async () => {
      const before = org.emulator.store.snapshot();
      await call(org, 'POST', LIST, { body: { name: 'P', clientId: 'null', extra: true } });
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });
  });

  describe('replacing', () => {
    it('replaces name, clientId and action and advances lastUpdated only', async () => {
      const id = defaultProviderId(org);
      const seededAt = new Date(org.clock.now()).toISOString();
      const app = addApp(org);
      org.clock.advance(5000);
      const res = await call(org, 'PUT', `${LIST}/${id}`, { body: { name: 'Risk Provider Example', clientId: app.id, action: 'enforce_and_log' } });
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'PUT', ONE, 200, res.body);
      expect(res.body).to.include({
        id,
        name: 'Risk Provider Example',
        clientId: app.id,
        action: 'enforce_and_log',
        created: seededAt,
        lastUpdated: new Date(org.clock.now()).toISOString(),
      });
      expect((await call(org, 'GET', `${LIST}/${id}`)).body).to.deep.equal(res.body);
    });

    it('resets an omitted action to log_only, as a full replacement', async () => {
      const id = defaultProviderId(org);
      await call(org, 'PUT', `${LIST}/${id}`, { body: { name: 'P', clientId: 'null', action: 'enforce_and_log' } });
      const res = await call(org, 'PUT', `${LIST}/${id}`, { body: { name: 'P', clientId: 'null' } });
      expect(res.status).to.equal(200);
      expect(res.body.action).to.equal('log_only');
    });

    it('lets a provider keep its own name', async () => {
      const id = defaultProviderId(org);
      const res = await call(org, 'PUT', `${LIST}/${id}`, { body: { name: 'Default ', clientId: 'null', action: 'none' } });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ name: 'Default ', action: 'none' });
    });

    it("rejects taking another provider's name", async () => {
      const other = await call(org, 'POST', LIST, { body: { name: 'Other', clientId: 'null' } });
      const res = await call(org, 'PUT', `${LIST}/${defaultProviderId(org)}`, { body: { name: 'Other', clientId: 'null' } });
      expect(other.status).to.equal(201);
      assertMatchesSpec('management', 'PUT', ONE, 400, res.body);
      expectValidationError(res, 'name', ['name: a risk provider with this name already exists; choose another name']);
    });

    it('lets a provider keep its own linked clientId', async () => {
      const id = defaultProviderId(org);
      const app = addApp(org);
      await call(org, 'PUT', `${LIST}/${id}`, { body: { name: 'P', clientId: app.id } });
      const res = await call(org, 'PUT', `${LIST}/${id}`, { body: { name: 'P2', clientId: app.id } });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ name: 'P2', clientId: app.id });
    });

    it('restores the unlinked default provider (clientId "null", name "Default ")', async () => {
      const id = defaultProviderId(org);
      const app = addApp(org);
      await call(org, 'PUT', `${LIST}/${id}`, { body: { name: 'Linked', clientId: app.id, action: 'enforce_and_log' } });
      const res = await call(org, 'PUT', `${LIST}/${id}`, { body: { name: 'Default ', clientId: 'null', action: 'log_only' } });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ name: 'Default ', clientId: 'null', action: 'log_only' });
    });

    it('accepts the read-only fields echoed back unchanged from a GET', async () => {
      const id = defaultProviderId(org);
      const got = (await call(org, 'GET', `${LIST}/${id}`)).body;
      const res = await call(org, 'PUT', `${LIST}/${id}`, { body: { ...got, name: 'Renamed' } });
      expect(res.status).to.equal(200);
      expect(res.body.name).to.equal('Renamed');
    });

    it('rejects an id that does not match the path', async () => {
      const res = await call(org, 'PUT', `${LIST}/${defaultProviderId(org)}`, { body: { id: 'rkpSomethingElse0000', name: 'P', clientId: 'null' } });
      expectValidationError(res, 'id', ['id: must match the riskProviderId in the path']);
    });

    it('rejects a changed created timestamp', async () => {
      const res = await call(org, 'PUT', `${LIST}/${defaultProviderId(org)}`, {
        body: { name: 'P', clientId: 'null', created: '2020-01-01T00:00:00.000Z' },
      });
      expectValidationError(res, 'created', ['created: is read-only; omit it or send the value the org returned']);
    });

    it('rejects a changed lastUpdated timestamp', async () => {
      const res = await call(org, 'PUT', `${LIST}/${defaultProviderId(org)}`, {
        body: { name: 'P', clientId: 'null', lastUpdated: '2020-01-01T00:00:00.000Z' },
      });
      expectValidationError(res, 'lastUpdated', ['lastUpdated: is read-only; omit it or send the value the org returned']);
    });

    it('rejects changed _links', async () => {
      const res = await call(org, 'PUT', `${LIST}/${defaultProviderId(org)}`, {
        body: { name: 'P', clientId: 'null', _links: { self: { href: 'https://elsewhere.example/x' } } },
      });
      expectValidationError(res, '_links', ['_links: is read-only; omit it or send the value the org returned']);
    });

    it('rejects an unknown field on replace', async () => {
      const res = await call(org, 'PUT', `${LIST}/${defaultProviderId(org)}`, { body: { name: 'P', clientId: 'null', enabled: true } });
      expectValidationError(res, 'enabled', ['enabled: is not a recognized field; allowed fields are name, clientId, action, id, created, lastUpdated, _links']);
    });

    it('leaves the provider unchanged when a replace is rejected', async () => {
      const before = org.emulator.store.snapshot();
      org.clock.advance(1000);
      const res = await call(org, 'PUT', `${LIST}/${defaultProviderId(org)}`, { body: { name: 'P', clientId: 'null', action: 'block' } });
      expect(res.status).to.equal(400);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });
  });

  describe('deleting', () => {
    it('deletes a provider with 204 and no body', async () => {
      const created = await call(org, 'POST', LIST, { body: { name: 'Gone', clientId: 'null' } });
      const res = await call(org, 'DELETE', `${LIST}/${created.body.id}`);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect(res.headers.get('content-type')).to.equal(null);
      expect((await call(org, 'GET', `${LIST}/${created.body.id}`)).status).to.equal(404);
    });

    it('deletes the default provider too, freeing a slot for a create', async () => {
      for (const name of ['Second', 'Third']) await call(org, 'POST', LIST, { body: { name, clientId: 'null' } });
      expect((await call(org, 'DELETE', `${LIST}/${defaultProviderId(org)}`)).status).to.equal(204);
      const res = await call(org, 'POST', LIST, { body: { name: 'Default ', clientId: 'null' } });
      expect(res.status).to.equal(201);
    });
  });

  describe('authorization', () => {
    it('refuses a call without credentials with 403 E0000005', async () => {
      const res = await call(org, 'GET', LIST, { auth: null });
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ errorCode: 'E0000005', errorSummary: 'Invalid session' });
    });

    it('lists providers for a bearer token with okta.riskProviders.read', async () => {
      const app = addApp(org);
      const token = await mintAccessToken(org, app.id, ['okta.riskProviders.read']);
      const res = await call(org, 'GET', LIST, { auth: `Bearer ${token}` });
      expect(res.status).to.equal(200);
      expect(res.body).to.have.length(1);
    });

    it('creates a provider for a bearer token with okta.riskProviders.manage', async () => {
      const app = addApp(org);
      const token = await mintAccessToken(org, app.id, ['okta.riskProviders.manage']);
      const res = await call(org, 'POST', LIST, { auth: `Bearer ${token}`, body: { name: 'By token', clientId: app.id } });
      expect(res.status).to.equal(201);
    });

    it('refuses a create by a token with only okta.riskProviders.read: 403 insufficient_scope, no body', async () => {
      const app = addApp(org);
      const token = await mintAccessToken(org, app.id, ['okta.riskProviders.read']);
      const res = await call(org, 'POST', LIST, { auth: `Bearer ${token}`, body: { name: 'P', clientId: 'null' } });
      expect(res.status).to.equal(403);
      expect(res.text).to.equal('');
      expect(res.headers.get('www-authenticate')).to.equal(
        `Bearer authorization_uri="${org.url}/oauth2/v1/authorize", realm="${org.url}", scope="okta.riskProviders.manage", ` +
          `error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="${LIST}"`,
      );
      expect(org.emulator.store.providers.size).to.equal(1);
    });

    it('refuses a read by a token with only okta.riskProviders.manage', async () => {
      const app = addApp(org);
      const token = await mintAccessToken(org, app.id, ['okta.riskProviders.manage']);
      const res = await call(org, 'GET', LIST, { auth: `Bearer ${token}` });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.include('scope="okta.riskProviders.read"');
    });

    it('refuses a delete by a token with only okta.riskProviders.read and keeps the provider', async () => {
      const app = addApp(org);
      const token = await mintAccessToken(org, app.id, ['okta.riskProviders.read']);
      const res = await call(org, 'DELETE', `${LIST}/${defaultProviderId(org)}`, { auth: `Bearer ${token}` });
      expect(res.status).to.equal(403);
      expect(org.emulator.store.providers.size).to.equal(1);
    });
  });

  describe('System Log', () => {
    it('records nothing for provider changes: the catalog has no risk provider admin event', async () => {
      const created = await call(org, 'POST', LIST, { body: { name: 'Logged?', clientId: 'null' } });
      await call(org, 'PUT', `${LIST}/${created.body.id}`, { body: { name: 'Logged again?', clientId: 'null' } });
      await call(org, 'DELETE', `${LIST}/${created.body.id}`);
      expect(created.status).to.equal(201);
      expect(org.emulator.store.logs).to.deep.equal([]);
    });
  });
});
