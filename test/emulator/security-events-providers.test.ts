import { expect } from 'chai';
import { MAX_SECURITY_EVENTS_PROVIDERS } from '../../src/emulator/security-events-providers.ts';
import { call, orgAccessToken, putServiceApp, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSpec } from '../helpers/openapi.ts';
import { registerProvider, startTransmitter, type Transmitter } from '../helpers/ssf.ts';

const LIST = '/api/v1/security-events-providers';
const ONE = '/api/v1/security-events-providers/{securityEventProviderId}';
const ACTIVATE = `${ONE}/lifecycle/activate`;
const DEACTIVATE = `${ONE}/lifecycle/deactivate`;
const BLANK = "The field can't be left blank.";
const NOT_URL = 'The field must be an https URL (http only to loopback), with no credentials or fragment.';

function expectValidationError(res: CallResult, fields: string, causes: string[]): void {
  expect(res.status).to.equal(400);
  assertMatchesSpec('management', 'POST', LIST, 400, res.body);
  expect(res.body).to.include({ errorCode: 'E0000001', errorSummary: `Api validation failed: ${fields}` });
  expect(res.body.errorCauses).to.deep.equal(causes.map((errorSummary) => ({ errorSummary })));
}

function lastEvent(org: TestOrg): Record<string, any> {
  return org.emulator.store.logs.at(-1)!.event;
}

describe('Security Events Providers API (emulator)', () => {
  let org: TestOrg;
  let transmitter: Transmitter;

  before(async () => {
    org = await startOrg();
    transmitter = await startTransmitter();
  });
  after(async () => {
    await org.close();
    await transmitter.close();
  });
  beforeEach(() => {
    org.emulator.reset();
    transmitter.answers.clear();
  });

  function body(settings: Record<string, unknown> = { issuer: transmitter.issuer, jwks_url: transmitter.jwksUrl }, extra: Record<string, unknown> = {}) {
    return { name: 'Example transmitter', type: 'example', settings, ...extra };
  }

  describe('create', () => {
    it('creates an issuer + JWKS provider with 200 (not 201), ACTIVE, in the documented shape', async () => {
      const res = await call(org, 'POST', LIST, { body: body() });
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'POST', LIST, 200, res.body);
      const id = res.body.id;
      expect(id).to.match(/^sse[A-Za-z0-9]{17}$/);
      expect(res.body).to.deep.equal({
        id,
        name: 'Example transmitter',
        type: 'example',
        status: 'ACTIVE',
        settings: { issuer: transmitter.issuer, jwks_url: transmitter.jwksUrl, well_known_url: null },
        _links: {
          self: { href: `${org.url}${LIST}/${id}`, hints: { allow: ['GET', 'PUT', 'DELETE'] } },
          deactivate: { href: `${org.url}${LIST}/${id}/lifecycle/deactivate`, hints: { allow: ['POST'] } },
        },
      });
    });

    it('logs security.events.provider.create with the provider as target', async () => {
      const res = await call(org, 'POST', LIST, { body: body() });
      const event = lastEvent(org);
      expect(event.eventType).to.equal('security.events.provider.create');
      expect(event.target).to.deep.equal([
        {
          id: res.body.id,
          type: 'SecurityEventsProvider',
          alternateId: 'Example transmitter',
          displayName: 'Example transmitter',
          detailEntry: { issuer: transmitter.issuer, jwks_url: transmitter.jwksUrl, provider_type: 'example', provider_name: 'Example transmitter' },
        },
      ]);
    });

    it('resolves a well-known URL at create time into its issuer and jwks_uri', async () => {
      const res = await call(org, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl }) });
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'POST', LIST, 200, res.body);
      expect(res.body.settings).to.deep.equal({ issuer: transmitter.issuer, jwks_url: transmitter.jwksUrl, well_known_url: transmitter.wellKnownUrl });
    });

    it('refuses a well-known URL that does not answer 200', async () => {
      transmitter.answers.set('/.well-known/ssf-configuration', (_req, res) => void res.writeHead(404).end());
      const res = await call(org, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl }) });
      expectValidationError(res, 'settings.well_known_url', ['settings.well_known_url: The well-known document could not be read: the answer is HTTP 404, not 200.']);
    });

    it('refuses a well-known document not served as application/json', async () => {
      transmitter.answers.set('/.well-known/ssf-configuration', (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('{}'));
      const res = await call(org, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl }) });
      expectValidationError(res, 'settings.well_known_url', [
        'settings.well_known_url: The well-known document could not be read: the content type is text/plain, not application/json.',
      ]);
    });

    it('refuses a well-known document without jwks_uri', async () => {
      transmitter.answers.set('/.well-known/ssf-configuration', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: transmitter.issuer }));
      });
      const res = await call(org, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl }) });
      expectValidationError(res, 'settings.well_known_url', [`settings.well_known_url: The well-known document's jwks_uri is not usable: ${BLANK}`]);
    });

    it('refuses a well-known document larger than the fetch limit', async () => {
      transmitter.answers.set('/.well-known/ssf-configuration', (_req, res) => {
        // Streamed without a Content-Length, so the cap must hold while reading.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"issuer":"${'x'.repeat(70_000)}`);
        res.end('"}');
      });
      const res = await call(org, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl }) });
      expectValidationError(res, 'settings.well_known_url', ['settings.well_known_url: The well-known document could not be read: the body is more than 65536 bytes.']);
    });

    it('refuses a well-known document whose declared length exceeds the fetch limit, before reading it', async () => {
      transmitter.answers.set('/.well-known/ssf-configuration', (_req, res) => {
        const text = JSON.stringify({ issuer: 'x'.repeat(70_000) });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
      });
      const res = await call(org, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl }) });
      expectValidationError(res, 'settings.well_known_url', [
        'settings.well_known_url: The well-known document could not be read: the body is 70013 bytes, more than 65536.',
      ]);
    });

    it('gives up on a well-known URL that does not answer within the timeout', async () => {
      const slow = await startOrg({ ssfFetch: { timeoutMs: 50 } });
      try {
        transmitter.answers.set('/.well-known/ssf-configuration', () => undefined);
        const res = await call(slow, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl }) });
        expectValidationError(res, 'settings.well_known_url', ['settings.well_known_url: The well-known document could not be read: no answer within 50 ms.']);
      } finally {
        await slow.close();
      }
    });

    it('does not fetch from a host other than loopback unless told to', async () => {
      const res = await call(org, 'POST', LIST, { body: body({ well_known_url: 'https://transmitter.example.com/.well-known/ssf-configuration' }) });
      expectValidationError(res, 'settings.well_known_url', [
        'settings.well_known_url: The well-known document could not be read: transmitter.example.com is not a loopback host, and remote fetches are off.',
      ]);
    });

    it('requires name, type and settings, naming each', async () => {
      const res = await call(org, 'POST', LIST, { body: {} });
      expectValidationError(res, 'name, type, settings', [`name: ${BLANK}`, `type: ${BLANK}`, `settings: ${BLANK}`]);
    });

    it('accepts a name of 100 characters', async () => {
      const res = await call(org, 'POST', LIST, { body: body(undefined, { name: 'n'.repeat(100) }) });
      expect(res.status).to.equal(200);
    });

    it('refuses a name of 101 characters', async () => {
      const res = await call(org, 'POST', LIST, { body: body(undefined, { name: 'n'.repeat(101) }) });
      expectValidationError(res, 'name', ['name: The field must be at most 100 characters.']);
    });

    it('refuses a type of 256 characters', async () => {
      const res = await call(org, 'POST', LIST, { body: body(undefined, { type: 't'.repeat(256) }) });
      expectValidationError(res, 'type', ['type: The field must be at most 255 characters.']);
    });

    it('refuses an issuer of 701 characters', async () => {
      const res = await call(org, 'POST', LIST, { body: body({ issuer: 'i'.repeat(701), jwks_url: transmitter.jwksUrl }) });
      expectValidationError(res, 'settings.issuer', ['settings.issuer: The field must be at most 700 characters.']);
    });

    it('refuses a jwks_url of 1001 characters', async () => {
      const url = `https://t.example.com/${'p'.repeat(1001 - 'https://t.example.com/'.length)}`;
      const res = await call(org, 'POST', LIST, { body: body({ issuer: 'iss', jwks_url: url }) });
      expectValidationError(res, 'settings.jwks_url', ['settings.jwks_url: The field must be at most 1000 characters.']);
    });

    it('refuses a plain-http jwks_url to a host other than loopback', async () => {
      const res = await call(org, 'POST', LIST, { body: body({ issuer: 'iss', jwks_url: 'http://t.example.com/jwks' }) });
      expectValidationError(res, 'settings.jwks_url', [`settings.jwks_url: ${NOT_URL}`]);
    });

    it('refuses settings mixing a well-known URL with an issuer', async () => {
      const res = await call(org, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl, issuer: 'iss' }) });
      expectValidationError(res, 'settings', ['settings: Send either well_known_url, or issuer and jwks_url, not both and not neither.']);
    });

    it('refuses an issuer without a jwks_url', async () => {
      const res = await call(org, 'POST', LIST, { body: body({ issuer: 'iss' }) });
      expectValidationError(res, 'settings.jwks_url', [`settings.jwks_url: ${BLANK}`]);
    });

    it('refuses unknown fields rather than dropping them', async () => {
      const res = await call(org, 'POST', LIST, { body: body(undefined, { enabled: true }) });
      expectValidationError(res, 'enabled', ['enabled: is not a recognized field; allowed fields are name, type, settings, id, status, _links']);
    });

    it('refuses a read-only status on create', async () => {
      const res = await call(org, 'POST', LIST, { body: body(undefined, { status: 'INACTIVE' }) });
      expectValidationError(res, 'status', ['status: The field is read-only; omit it when creating a security events provider.']);
    });

    it('refuses a second provider with the same issuer', async () => {
      await registerProvider(org, transmitter);
      const res = await call(org, 'POST', LIST, { body: body(undefined, { name: 'Another' }) });
      expectValidationError(res, 'settings.issuer', ['settings.issuer: A security events provider with this issuer already exists; each transmitter registers once.']);
    });

    it(`refuses a provider beyond the emulator's cap of ${MAX_SECURITY_EVENTS_PROVIDERS}`, async () => {
      for (let i = 0; i < MAX_SECURITY_EVENTS_PROVIDERS; i++) {
        const res = await call(org, 'POST', LIST, { body: body({ issuer: `iss-${i}`, jwks_url: transmitter.jwksUrl }) });
        expect(res.status).to.equal(200);
      }
      const res = await call(org, 'POST', LIST, { body: body({ issuer: 'one-more', jwks_url: transmitter.jwksUrl }) });
      expectValidationError(res, 'securityEventsProvider', [
        `securityEventsProvider: The org has the emulator's maximum of ${MAX_SECURITY_EVENTS_PROVIDERS} providers; delete one first.`,
      ]);
    });
  });

  describe('read, replace, delete', () => {
    it('lists providers as a bare array', async () => {
      const created = await registerProvider(org, transmitter);
      const res = await call(org, 'GET', LIST);
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'GET', LIST, 200, res.body);
      expect(res.body).to.deep.equal([created]);
    });

    it('returns one provider by id', async () => {
      const created = await registerProvider(org, transmitter);
      const res = await call(org, 'GET', `${LIST}/${created.id}`);
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'GET', ONE, 200, res.body);
      expect(res.body).to.deep.equal(created);
    });

    it('answers an unknown id with 404 E0000007 naming the SecurityEventsProvider', async () => {
      const res = await call(org, 'GET', `${LIST}/sseUnknown0000000000`);
      expect(res.status).to.equal(404);
      assertMatchesSpec('management', 'GET', ONE, 404, res.body);
      expect(res.body).to.include({ errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: sseUnknown0000000000 (SecurityEventsProvider)' });
    });

    it('replaces a provider with a GET → edit → PUT round trip and logs the update', async () => {
      const created = await registerProvider(org, transmitter);
      const res = await call(org, 'PUT', `${LIST}/${created.id}`, { body: { ...created, name: 'Renamed' } });
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'PUT', ONE, 200, res.body);
      expect(res.body).to.deep.equal({ ...created, name: 'Renamed' });
      expect(lastEvent(org).eventType).to.equal('security.events.provider.update');
    });

    it('replaces a well-known provider sent back as the org showed it', async () => {
      const created = (await call(org, 'POST', LIST, { body: body({ well_known_url: transmitter.wellKnownUrl }) })).body;
      const res = await call(org, 'PUT', `${LIST}/${created.id}`, { body: { ...created, type: 'renamed' } });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...created, type: 'renamed' });
    });

    it('refuses a PUT that changes the read-only id', async () => {
      const created = await registerProvider(org, transmitter);
      const res = await call(org, 'PUT', `${LIST}/${created.id}`, { body: { ...created, id: 'sseOther000000000000' } });
      expectValidationError(res, 'id', ['id: The field is read-only; omit it or send the value the org returned.']);
    });

    it('deletes a provider with 204 and logs it; it is then not found', async () => {
      const created = await registerProvider(org, transmitter);
      const res = await call(org, 'DELETE', `${LIST}/${created.id}`);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect(lastEvent(org).eventType).to.equal('security.events.provider.delete');
      expect((await call(org, 'GET', `${LIST}/${created.id}`)).status).to.equal(404);
    });
  });

  describe('lifecycle', () => {
    it('deactivates with 200 and the object, whose link is then activate', async () => {
      const created = await registerProvider(org, transmitter);
      const res = await call(org, 'POST', `${LIST}/${created.id}/lifecycle/deactivate`);
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'POST', DEACTIVATE, 200, res.body);
      expect(res.body.status).to.equal('INACTIVE');
      expect(res.body._links).to.have.keys('self', 'activate');
      expect(lastEvent(org).eventType).to.equal('security.events.provider.deactivate');
    });

    it('activates an inactive provider and logs it', async () => {
      const created = await registerProvider(org, transmitter);
      await call(org, 'POST', `${LIST}/${created.id}/lifecycle/deactivate`);
      const res = await call(org, 'POST', `${LIST}/${created.id}/lifecycle/activate`);
      expect(res.status).to.equal(200);
      assertMatchesSpec('management', 'POST', ACTIVATE, 200, res.body);
      expect(res.body.status).to.equal('ACTIVE');
      expect(lastEvent(org).eventType).to.equal('security.events.provider.activate');
    });

    it('logs nothing when a provider is activated again', async () => {
      const created = await registerProvider(org, transmitter);
      const before = org.emulator.store.logs.length;
      const res = await call(org, 'POST', `${LIST}/${created.id}/lifecycle/activate`);
      expect(res.status).to.equal(200);
      expect(org.emulator.store.logs.length).to.equal(before);
    });
  });

  describe('auth and scopes', () => {
    it('answers no Authorization header with 403 E0000005', async () => {
      const res = await call(org, 'GET', LIST, { auth: null });
      expect(res.status).to.equal(403);
      expect(res.body.errorCode).to.equal('E0000005');
    });

    it('answers a wrong API token with 401 E0000011', async () => {
      const res = await call(org, 'GET', LIST, { auth: 'SSWS 00wrong' });
      expect(res.status).to.equal(401);
      assertMatchesSpec('management', 'GET', LIST, 401, res.body);
      expect(res.body).to.include({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    });

    it('lists with a token holding okta.securityEventsProviders.read', async () => {
      putServiceApp(org, '0oassfReader00000001');
      const token = await orgAccessToken(org, '0oassfReader00000001', ['okta.securityEventsProviders.read']);
      expect((await call(org, 'GET', LIST, { auth: `Bearer ${token}` })).status).to.equal(200);
    });

    it('refuses a create with only the read scope: 403, insufficient_scope naming manage', async () => {
      putServiceApp(org, '0oassfReader00000001');
      const token = await orgAccessToken(org, '0oassfReader00000001', ['okta.securityEventsProviders.read']);
      const res = await call(org, 'POST', LIST, { auth: `Bearer ${token}`, body: body() });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.contain('scope="okta.securityEventsProviders.manage"');
      expect(org.emulator.store.securityEventsProviders.size).to.equal(0);
    });

    it('creates with a token holding okta.securityEventsProviders.manage', async () => {
      putServiceApp(org, '0oassfManager0000001');
      const token = await orgAccessToken(org, '0oassfManager0000001', ['okta.securityEventsProviders.manage']);
      expect((await call(org, 'POST', LIST, { auth: `Bearer ${token}`, body: body() })).status).to.equal(200);
    });
  });
});
