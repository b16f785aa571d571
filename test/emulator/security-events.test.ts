import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { MAX_SET_AGE_SECONDS, RECEIVE_EVENT } from '../../src/emulator/security-events.ts';
import { EVENT_TYPES } from '../../src/okta/ssf.ts';
import { call, startOrg, type CallResult, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSchema, assertMatchesSpec } from '../helpers/openapi.ts';
import { generateTransmitterKey, mintSet, pushSet, registerProvider, startTransmitter, USER_RISK_CHANGE, type Transmitter } from '../helpers/ssf.ts';

const SET_PATH = '/security/api/v1/security-events';
const PREFIX = 'Failed claim validation in security event token. ';

function expectSetError(res: CallResult, err: string, description: string): void {
  expect({ status: res.status, body: res.body }).to.deep.equal({ status: 400, body: { err, description } });
  assertMatchesSpec('management', 'POST', SET_PATH, 400, res.body);
}

function expectAccepted(res: CallResult): void {
  expect({ status: res.status, text: res.text }).to.deep.equal({ status: 202, text: '' });
  assertMatchesSpec('management', 'POST', SET_PATH, 202, undefined);
}

function receivedEvents(org: TestOrg): Array<Record<string, any>> {
  return org.emulator.store.logs.map((r) => r.event).filter((e) => e.eventType === RECEIVE_EVENT);
}

/** A valid event of each accepted type, for the subject `admin@example.com`. */
function sampleEvent(uri: string, ts: number): Record<string, unknown> {
  const subject = { user: { format: 'email', email: 'admin@example.com' } };
  const claims: Record<string, Record<string, unknown>> = {
    'user-risk-change': { current_level: 'high', previous_level: 'low' },
    'device-risk-change': { current_level: 'medium', previous_level: 'secure' },
    'ip-change': { current_ip_address: '123.4.5.6', previous_ip_address: '123.45.67.8' },
    'device-compliance-change': { current_status: 'not-compliant', previous_status: 'compliant' },
    'session-revoked': { current_ip: '123.4.5.6' },
    'identifier-changed': { 'new-value': 'new.email@example.com' },
  };
  const rule = EVENT_TYPES.find((t) => t.uri === uri)!;
  return { event_timestamp: ts, subject, reason_admin: { en: 'Test' }, ...claims[rule.name] };
}

describe('SSF receiver: POST /security/api/v1/security-events (emulator)', () => {
  let org: TestOrg;
  let transmitter: Transmitter;

  before(async () => {
    org = await startOrg({ users: ['jane.doe@example.com'] });
    transmitter = await startTransmitter();
  });
  after(async () => {
    await org.close();
    await transmitter.close();
  });
  beforeEach(async () => {
    org.emulator.reset();
    transmitter.answers.clear();
    transmitter.hits.clear();
    transmitter.keys = [transmitter.key.publicJwk];
    // A fresh org forgets the cached JWKS only with time: move past the cache window.
    org.clock.advance(10 * 60_000);
    await registerProvider(org, transmitter);
  });

  describe('an accepted SET', () => {
    it('answers 202 with no body, with no Authorization header', async () => {
      expectAccepted(await pushSet(org, await mintSet(org, transmitter)));
    });

    it('is a SET whose header and payload match Okta’s SecurityEventTokenRequestJwt schemas', async () => {
      const set = await mintSet(org, transmitter);
      assertMatchesSchema('management', 'SecurityEventTokenRequestJwtHeader', decodeProtectedHeader(set));
      assertMatchesSchema('management', 'SecurityEventTokenRequestJwtBody', decodeJwt(set));
    });

    it('logs security.events.provider.receive_event with the provider as actor and the user as target', async () => {
      await pushSet(org, await mintSet(org, transmitter, { email: 'jane.doe@example.com' }));
      const [event] = receivedEvents(org);
      const provider = [...org.emulator.store.securityEventsProviders.values()][0]!;
      const user = org.emulator.org.settings.users.find((u) => u.login === 'jane.doe@example.com')!;
      expect(event!.actor).to.deep.equal({ id: provider.id, type: 'SecurityEventProvider', alternateId: transmitter.issuer, displayName: 'Example transmitter' });
      expect(event!.target).to.deep.equal([{ id: user.id, type: 'User', alternateId: 'jane.doe@example.com', displayName: 'jane.doe@example.com' }]);
      const report = JSON.parse(event!.debugContext.debugData.partnerRiskReportData);
      expect(report).to.include({ issuer: transmitter.issuer, eventType: USER_RISK_CHANGE });
      expect(report.event).to.include({ current_level: 'high', previous_level: 'low' });
    });

    it('matches the subject email case-insensitively, as Okta sign-ins are', async () => {
      expectAccepted(await pushSet(org, await mintSet(org, transmitter, { email: 'Jane.Doe@Example.com' })));
      expect(receivedEvents(org)).to.have.length(1);
    });

    for (const rule of EVENT_TYPES) {
      it(`accepts and logs a ${rule.name} event`, async () => {
        const set = await mintSet(org, transmitter, {
          mutate: ({ payload }) => {
            payload.events = { [rule.uri]: sampleEvent(rule.uri, payload.iat as number) };
          },
        });
        assertMatchesSchema('management', 'SecurityEventTokenRequestJwtBody', decodeJwt(set));
        expectAccepted(await pushSet(org, set));
        expect(receivedEvents(org).map((e) => JSON.parse(e.debugContext.debugData.partnerRiskReportData).eventType)).to.deep.equal([rule.uri]);
      });
    }

    it('logs one event per event of a SET carrying two', async () => {
      const ip = EVENT_TYPES.find((t) => t.name === 'ip-change')!.uri;
      const set = await mintSet(org, transmitter, {
        mutate: ({ payload }) => {
          (payload.events as Record<string, unknown>)[ip] = sampleEvent(ip, payload.iat as number);
        },
      });
      expectAccepted(await pushSet(org, set));
      expect(receivedEvents(org)).to.have.length(2);
    });

    it('accepts an iat exactly five minutes old', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.iat = (payload.iat as number) - MAX_SET_AGE_SECONDS) });
      expectAccepted(await pushSet(org, set));
    });
  });

  describe('accepted but ignored, as Okta documents', () => {
    it('ignores a second SET with the same jti: 202, logged once', async () => {
      const set = await mintSet(org, transmitter);
      expectAccepted(await pushSet(org, set));
      expectAccepted(await pushSet(org, set));
      expect(receivedEvents(org)).to.have.length(1);
    });

    it('ignores an event for an email that is no user’s sign-in: 202, nothing logged', async () => {
      expectAccepted(await pushSet(org, await mintSet(org, transmitter, { email: 'nobody@example.com' })));
      expect(receivedEvents(org)).to.have.length(0);
    });
  });

  describe('the request', () => {
    it('refuses another Content-Type with invalid_request', async () => {
      expectSetError(await pushSet(org, await mintSet(org, transmitter), 'application/jwt'), 'invalid_request', 'The request Content-Type must be application/secevent+jwt.');
    });

    it('refuses a body that is not a compact JWS', async () => {
      expectSetError(await pushSet(org, 'not.a-jwt'), 'invalid_request', 'The security event token cannot be parsed as a signed JWT.');
    });

    it("refuses a 'typ' other than secevent+jwt", async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ header }) => void (header.typ = 'JWT') });
      expectSetError(await pushSet(org, set), 'invalid_request', "The security event token 'typ' header must be 'secevent+jwt'.");
    });

    it("refuses a SET with no 'typ'", async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ header }) => void delete header.typ });
      expectSetError(await pushSet(org, set), 'invalid_request', "The security event token 'typ' header must be 'secevent+jwt'.");
    });

    it('refuses an algorithm other than RS256', async () => {
      const rs384 = await generateTransmitterKey('RS384');
      const set = await mintSet(org, transmitter, { key: rs384, mutate: ({ header }) => void (header.alg = 'RS384') });
      expectSetError(await pushSet(org, set), 'invalid_request', 'The security event token must be signed with RS256.');
    });

    it("refuses a SET with no 'kid'", async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ header }) => void delete header.kid });
      expectSetError(await pushSet(org, set), 'invalid_request', "The security event token 'kid' header is required.");
    });
  });

  describe('issuer and audience', () => {
    it("refuses a SET with no 'iss'", async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void delete payload.iss });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'iss': The field cannot be left blank`);
    });

    it('refuses an issuer no provider is registered with', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.iss = `${transmitter.issuer}/other`) });
      expectSetError(await pushSet(org, set), 'invalid_issuer', 'No security events provider is registered with this issuer.');
    });

    it('refuses the issuer of an INACTIVE provider', async () => {
      const [provider] = org.emulator.store.securityEventsProviders.values();
      await call(org, 'POST', `/api/v1/security-events-providers/${provider!.id}/lifecycle/deactivate`);
      expectSetError(await pushSet(org, await mintSet(org, transmitter)), 'invalid_issuer', 'The security events provider for this issuer is not active.');
    });

    it('refuses an aud with a trailing slash', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.aud = `${org.url}/`) });
      expectSetError(await pushSet(org, set), 'invalid_audience', "The security event token 'aud' claim must be this org's URL.");
    });

    it('refuses an aud given as an array', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.aud = [org.url]) });
      expectSetError(await pushSet(org, set), 'invalid_audience', "The security event token 'aud' claim must be this org's URL.");
    });
  });

  describe('the key and signature', () => {
    it('refuses a kid the JWKS does not have with authentication_failed, as observed on real orgs', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ header }) => void (header.kid = 'transmitter-key-1') });
      expectSetError(await pushSet(org, set), 'authentication_failed', 'Could not verify message signature, Verification failed for kid=transmitter-key-1');
    });

    it('refuses a signature made with another key under the same kid', async () => {
      const other = await generateTransmitterKey();
      const set = await mintSet(org, transmitter, { key: { ...other, publicJwk: { ...other.publicJwk, kid: transmitter.key.publicJwk.kid } } });
      expectSetError(await pushSet(org, set), 'authentication_failed', `Could not verify message signature, Verification failed for kid=${transmitter.key.publicJwk.kid}`);
    });

    it('refuses with invalid_key when the JWKS cannot be fetched', async () => {
      transmitter.answers.set('/jwks.json', (_req, res) => void res.writeHead(503).end());
      expectSetError(await pushSet(org, await mintSet(org, transmitter)), 'invalid_key', "The security events provider's JWKS could not be retrieved from its jwks_url.");
    });

    it('refuses with invalid_key a JWKS not served as application/json', async () => {
      transmitter.answers.set('/jwks.json', (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(JSON.stringify({ keys: transmitter.keys })));
      expectSetError(await pushSet(org, await mintSet(org, transmitter)), 'invalid_key', "The security events provider's JWKS could not be retrieved from its jwks_url.");
    });

    it('refuses with invalid_key a JWKS that publishes a private key', async () => {
      transmitter.keys = [{ ...transmitter.key.publicJwk, d: 'AQAB' }];
      expectSetError(await pushSet(org, await mintSet(org, transmitter)), 'invalid_key', "The security events provider's JWKS publishes a private key.");
    });

    it('reuses a fetched JWKS for the next SET', async () => {
      await pushSet(org, await mintSet(org, transmitter));
      await pushSet(org, await mintSet(org, transmitter));
      expect(transmitter.hits.get('/jwks.json')).to.equal(1);
    });

    it('fetches the JWKS once for SETs arriving together', async () => {
      const sets = await Promise.all([1, 2, 3].map(() => mintSet(org, transmitter)));
      const answers = await Promise.all(sets.map((set) => pushSet(org, set)));
      expect(answers.map((a) => a.status)).to.deep.equal([202, 202, 202]);
      expect(transmitter.hits.get('/jwks.json')).to.equal(1);
    });

    it('finds a rotated key by fetching the JWKS again after a minute', async () => {
      await pushSet(org, await mintSet(org, transmitter));
      const rotated = await generateTransmitterKey();
      transmitter.keys = [rotated.publicJwk];
      org.clock.advance(60_000);
      expectAccepted(await pushSet(org, await mintSet(org, transmitter, { key: rotated })));
      expect(transmitter.hits.get('/jwks.json')).to.equal(2);
    });

    it('does not refetch the JWKS for an unknown kid within a minute of the last fetch', async () => {
      await pushSet(org, await mintSet(org, transmitter));
      const set = await mintSet(org, transmitter, { mutate: ({ header }) => void (header.kid = 'unknown') });
      expectSetError(await pushSet(org, set), 'authentication_failed', 'Could not verify message signature, Verification failed for kid=unknown');
      expect(transmitter.hits.get('/jwks.json')).to.equal(1);
    });
  });

  describe('claims', () => {
    it("refuses an iat in the future", async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.iat = (payload.iat as number) + 1) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'iat': The token is issued in the future`);
    });

    it('refuses an iat more than five minutes old', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.iat = (payload.iat as number) - MAX_SET_AGE_SECONDS - 1) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'iat': The token is issued more than five minutes in the past`);
    });

    it('refuses an iat that is not integer seconds', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.iat = new Date(org.clock.now()).toISOString()) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'iat': The field must be an integer (seconds since the epoch)`);
    });

    it('refuses an exp, which SSF forbids in a SET', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.exp = (payload.iat as number) + 60) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'exp': A security event token must not carry an expiration`);
    });

    it('refuses a SET with no jti', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void delete payload.jti });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'jti': The field cannot be left blank`);
    });

    it('refuses a jti longer than 256 characters', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.jti = 'j'.repeat(257)) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'jti': The field must be at most 256 characters`);
    });

    it('refuses a SET with no events', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void delete payload.events });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events': The field cannot be left blank`);
    });

    it('refuses an empty events object', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.events = {}) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events': The field cannot be left blank`);
    });

    it('refuses an event type outside the six Okta accepts (CAEP credential-change)', async () => {
      const uri = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.events = { [uri]: { event_timestamp: payload.iat } }) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events': Not one of the allowed values (${uri})`);
    });

    it('names a missing previous_level as Okta does: previousRiskLevel', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void delete (payload.events as any)[USER_RISK_CHANGE].previous_level });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationUserRiskChangeEvent.previousRiskLevel': The field cannot be left blank`);
    });

    it('names every failed claim, joined as Okta joins them', async () => {
      const set = await mintSet(org, transmitter, {
        mutate: ({ payload }) => {
          const event = (payload.events as any)[USER_RISK_CHANGE];
          delete event.previous_level;
          delete event.current_level;
        },
      });
      expectSetError(
        await pushSet(org, set),
        'invalid_request',
        `${PREFIX}'events.mediationUserRiskChangeEvent.currentRiskLevel': The field cannot be left blank, 'events.mediationUserRiskChangeEvent.previousRiskLevel': The field cannot be left blank`,
      );
    });

    it('refuses an upper-case risk level', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void ((payload.events as any)[USER_RISK_CHANGE].current_level = 'HIGH') });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationUserRiskChangeEvent.currentRiskLevel': Not one of the allowed values`);
    });

    it('refuses an initiating_entity outside admin, user, policy, system', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void ((payload.events as any)[USER_RISK_CHANGE].initiating_entity = 'vendor') });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationUserRiskChangeEvent.initiatingEntity': Not one of the allowed values`);
    });

    it('words a missing device-compliance previous_status exactly as Okta’s spec example', async () => {
      const uri = 'https://schemas.openid.net/secevent/caep/event-type/device-compliance-change';
      const set = await mintSet(org, transmitter, {
        mutate: ({ payload }) => {
          const event = sampleEvent(uri, payload.iat as number);
          delete event.previous_status;
          payload.events = { [uri]: event };
        },
      });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationDeviceComplianceChangeEvent.previousStatus': The field cannot be left blank`);
    });

    it('refuses the example’s non-compliant, which the enum spells not-compliant', async () => {
      const uri = 'https://schemas.openid.net/secevent/caep/event-type/device-compliance-change';
      const set = await mintSet(org, transmitter, {
        mutate: ({ payload }) => void (payload.events = { [uri]: { ...sampleEvent(uri, payload.iat as number), current_status: 'non-compliant' } }),
      });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationDeviceComplianceChangeEvent.currentStatus': Not one of the allowed values`);
    });

    it('refuses an event with no subject', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void delete (payload.events as any)[USER_RISK_CHANGE].subject });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationUserRiskChangeEvent.subject': The field cannot be left blank`);
    });

    it('refuses an SSF 1.0 complex subject, which Okta does not take', async () => {
      const set = await mintSet(org, transmitter, {
        mutate: ({ payload }) => void ((payload.events as any)[USER_RISK_CHANGE].subject = { format: 'complex', user: { format: 'email', email: 'admin@example.com' } }),
      });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationUserRiskChangeEvent.subject.format': The field is not recognized`);
    });

    it('refuses a subject user with an unknown format', async () => {
      const set = await mintSet(org, transmitter, {
        mutate: ({ payload }) => void ((payload.events as any)[USER_RISK_CHANGE].subject = { user: { format: 'iss_sub', iss: 'x', sub: 'y' } }),
      });
      expect((await pushSet(org, set)).body.description).to.equal(
        `${PREFIX}'events.mediationUserRiskChangeEvent.subject.user.format': Not one of the allowed values`,
      );
    });

    it('refuses a reason_admin without en', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void ((payload.events as any)[USER_RISK_CHANGE].reason_admin = {}) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationUserRiskChangeEvent.reasonAdmin.en': The field cannot be left blank`);
    });

    it('refuses an event_timestamp in milliseconds given as a string', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void ((payload.events as any)[USER_RISK_CHANGE].event_timestamp = String(org.clock.now())) });
      expectSetError(
        await pushSet(org, set),
        'invalid_request',
        `${PREFIX}'events.mediationUserRiskChangeEvent.eventTimestamp': The field must be an integer (seconds since the epoch)`,
      );
    });

    it('refuses a claim the event type does not define', async () => {
      const set = await mintSet(org, transmitter, { mutate: ({ payload }) => void ((payload.events as any)[USER_RISK_CHANGE].risk_score = 90) });
      expectSetError(await pushSet(org, set), 'invalid_request', `${PREFIX}'events.mediationUserRiskChangeEvent.riskScore': The field is not recognized`);
    });

    it('changes nothing when it refuses a SET: the same jti is accepted once corrected', async () => {
      const jti = 'fixed-jti';
      const bad = await mintSet(org, transmitter, { mutate: ({ payload }) => void ((payload.jti = jti), delete (payload.events as any)[USER_RISK_CHANGE].current_level) });
      expect((await pushSet(org, bad)).status).to.equal(400);
      expectAccepted(await pushSet(org, await mintSet(org, transmitter, { mutate: ({ payload }) => void (payload.jti = jti) })));
      expect(receivedEvents(org)).to.have.length(1);
    });
  });

  it('signs with jose as a transmitter would (SignJWT with typ secevent+jwt)', async () => {
    const iat = Math.floor(org.clock.now() / 1000);
    const set = await new SignJWT({ events: { [USER_RISK_CHANGE]: sampleEvent(USER_RISK_CHANGE, iat) } })
      .setProtectedHeader({ alg: 'RS256', kid: transmitter.key.publicJwk.kid, typ: 'secevent+jwt' })
      .setIssuer(transmitter.issuer)
      .setAudience(org.url)
      .setIssuedAt(iat)
      .setJti('jose-signed')
      .sign(transmitter.key.privateKey);
    expectAccepted(await pushSet(org, set));
  });
});
