/**
 * The SET minter: what it signs (header, claims, no exp), that Okta's receiver (the emulator) accepts and logs
 * it when verified against the JWKS the runner serves, and every option it refuses before signing.
 * Every key is generated here at run time; only loopback is reached.
 */
import { expect } from 'chai';
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import { RECEIVE_EVENT } from '../../src/emulator/security-events.ts';
import { MAX_SET_JTI_LENGTH, mintSecurityEventToken, type MintSecurityEventTokenOptions } from '../../src/ssf/mint-security-event-token.ts';
import { serveJwks, type JwksServer } from '../../src/ssf/jwks-server.ts';
import { USER_RISK_CHANGE } from '../../src/ssf/signal-events.ts';
import { call, startOrg, START, type TestOrg } from '../helpers/emulator.ts';
import { assertMatchesSchema } from '../helpers/openapi.ts';
import { pushSet } from '../helpers/ssf.ts';
import { rejectionOf as rejection } from '../helpers/errors.ts';

const ORG_URL = 'https://example.okta.com';
const ISSUER = 'https://transmitter.example.com/okta-risk-harness';

function userRiskChange(email = 'jane.doe@example.com', at = START): MintSecurityEventTokenOptions['events'] {
  return {
    [USER_RISK_CHANGE]: {
      event_timestamp: Math.floor(at / 1000),
      subject: { user: { format: 'email', email } },
      current_level: 'low',
      previous_level: 'none',
      initiating_entity: 'system',
      reason_admin: { en: 'A test signal' },
    },
  };
}

describe('mintSecurityEventToken', () => {
  let keys: ProviderKeyPair;
  const base = (): MintSecurityEventTokenOptions => ({ issuer: ISSUER, orgUrl: ORG_URL, privateJwk: keys.privateJwk, events: userRiskChange(), currentDate: new Date(START) });

  before(async () => {
    keys = await generateProviderKeyPair();
  });

  describe('what it signs', () => {
    it('signs the header {alg: RS256, kid, typ: secevent+jwt} with the key’s kid', async () => {
      const { token } = await mintSecurityEventToken(base());
      expect(decodeProtectedHeader(token)).to.deep.equal({ alg: 'RS256', kid: keys.kid, typ: 'secevent+jwt' });
    });

    it('takes the kid option over the JWK’s own', async () => {
      const { token } = await mintSecurityEventToken({ ...base(), kid: 'transmitter-key-1' });
      expect(decodeProtectedHeader(token).kid).to.equal('transmitter-key-1');
    });

    it('carries exactly iss, aud, iat (seconds), jti and events, with no exp', async () => {
      const { token, jti, iat } = await mintSecurityEventToken({ ...base(), jti: 'run-1', currentDate: new Date(START + 999) });
      expect(decodeJwt(token)).to.deep.equal({ iss: ISSUER, aud: ORG_URL, iat: START / 1000, jti: 'run-1', events: userRiskChange() });
      expect({ jti, iat }).to.deep.equal({ jti: 'run-1', iat: START / 1000 });
    });

    it('gives every SET a fresh jti when none is passed', async () => {
      const [a, b] = await Promise.all([mintSecurityEventToken(base()), mintSecurityEventToken(base())]);
      expect(a.jti).to.not.equal(b.jti);
    });

    it('signs with the private key, so the public JWK verifies it', async () => {
      const { token } = await mintSecurityEventToken(base());
      const { protectedHeader } = await compactVerify(token, await importJWK(keys.publicJwk, 'RS256'));
      expect(protectedHeader.alg).to.equal('RS256');
    });

    it('matches Okta’s SecurityEventTokenRequestJwt header and body schemas', async () => {
      const { token } = await mintSecurityEventToken(base());
      assertMatchesSchema('management', 'SecurityEventTokenRequestJwtHeader', decodeProtectedHeader(token));
      assertMatchesSchema('management', 'SecurityEventTokenRequestJwtBody', decodeJwt(token));
    });
  });

  describe('Okta’s receiver (the emulator) takes it, verified against the served JWKS', () => {
    let org: TestOrg;
    let jwks: JwksServer;
    let issuer: string;

    before(async () => {
      org = await startOrg({ users: ['jane.doe@example.com'] });
      jwks = await serveJwks({ keys: [keys.publicJwk] });
      issuer = `${jwks.url}/okta-risk-harness/test`;
      const created = await call(org, 'POST', '/api/v1/security-events-providers', {
        body: { name: 'okta-risk-harness test', type: 'okta-risk-harness', settings: { issuer, jwks_url: jwks.jwksUrl } },
      });
      expect(created.status).to.equal(200);
    });
    after(async () => {
      await org.close();
      await jwks.close();
    });

    it('answers 202 and logs security.events.provider.receive_event for the subject', async () => {
      const { token } = await mintSecurityEventToken({ ...base(), issuer, orgUrl: org.url, currentDate: new Date(org.clock.now()) });
      const res = await pushSet(org, token);
      expect({ status: res.status, text: res.text }).to.deep.equal({ status: 202, text: '' });
      const logged = org.emulator.store.logs.map((r) => r.event).filter((e) => e.eventType === RECEIVE_EVENT);
      expect(logged.map((e) => (e.target as Array<{ alternateId: string }>)[0]!.alternateId)).to.deep.equal(['jane.doe@example.com']);
    });
  });

  describe('options it refuses before signing (TypeError)', () => {
    const cases: Array<[string, (o: MintSecurityEventTokenOptions) => void, string]> = [
      ['an empty issuer', (o) => void (o.issuer = ''), 'mintSecurityEventToken: issuer must be a non-empty string'],
      ['an org URL with a trailing slash', (o) => void (o.orgUrl = `${ORG_URL}/`), `mintSecurityEventToken: orgUrl must be a scheme and host with no path or trailing slash, got ${ORG_URL}/`],
      ['an org URL with a path', (o) => void (o.orgUrl = `${ORG_URL}/oauth2`), `mintSecurityEventToken: orgUrl must be a scheme and host with no path or trailing slash, got ${ORG_URL}/oauth2`],
      ['a public key', (o) => void (o.privateJwk = keys.publicJwk), "mintSecurityEventToken: privateJwk must be a private RSA JWK (Okta's receiver takes RS256 SETs only)"],
      ['a key without a kid and no kid option', (o) => void (o.privateJwk = { ...keys.privateJwk, kid: undefined } as JWK), 'mintSecurityEventToken: kid is required (the JWK has none)'],
      ['an invalid date', (o) => void (o.currentDate = new Date(Number.NaN)), 'mintSecurityEventToken: currentDate must be a valid Date'],
      ['an empty jti', (o) => void (o.jti = ''), `mintSecurityEventToken: jti must be 1 to ${MAX_SET_JTI_LENGTH} characters`],
      ['a jti longer than 256 characters', (o) => void (o.jti = 'j'.repeat(MAX_SET_JTI_LENGTH + 1)), `mintSecurityEventToken: jti must be 1 to ${MAX_SET_JTI_LENGTH} characters`],
      ['no events', (o) => void (o.events = {}), 'mintSecurityEventToken: events must hold at least one event'],
      [
        'an event type Okta does not accept',
        (o) => void (o.events = { 'https://schemas.openid.net/secevent/caep/event-type/credential-change': {} }),
        "mintSecurityEventToken: https://schemas.openid.net/secevent/caep/event-type/credential-change is not an event type Okta's receiver accepts",
      ],
      [
        'an event missing a required claim',
        (o) => void delete o.events[USER_RISK_CHANGE]!.previous_level,
        "mintSecurityEventToken: Failed claim validation in security event token. 'events.mediationUserRiskChangeEvent.previousRiskLevel': The field cannot be left blank",
      ],
      [
        'a level outside Okta’s values',
        (o) => void (o.events[USER_RISK_CHANGE]!.current_level = 'HIGH'),
        "mintSecurityEventToken: Failed claim validation in security event token. 'events.mediationUserRiskChangeEvent.currentRiskLevel': Not one of the allowed values",
      ],
    ];
    for (const [what, mutate, message] of cases) {
      it(`refuses ${what}`, async () => {
        const options = base();
        mutate(options);
        const error = await rejection(mintSecurityEventToken(options));
        expect({ name: error.name, message: error.message }).to.deep.equal({ name: 'TypeError', message });
      });
    }

    it('accepts a jti of exactly 256 characters', async () => {
      const { jti } = await mintSecurityEventToken({ ...base(), jti: 'j'.repeat(MAX_SET_JTI_LENGTH) });
      expect(jti).to.have.length(MAX_SET_JTI_LENGTH);
    });
  });
});
