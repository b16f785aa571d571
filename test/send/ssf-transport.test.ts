import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';
import type { PlannedCall } from '../../src/send/signal.ts';
import { ssfSignalProblem, SsfTransport } from '../../src/send/ssf-transport.ts';
import { assertMatchesSchema } from '../helpers/openapi.ts';

const USER_RISK_CHANGE = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

function callOf(index: number, subject: { ip: string; riskLevel: 'HIGH' | 'MEDIUM' | 'LOW'; message?: string }, timestamp?: string): PlannedCall {
  const levels = { HIGH: 0, MEDIUM: 0, LOW: 0 };
  levels[subject.riskLevel] = 1;
  return { index, events: [{ ...(timestamp && { timestamp }), subjects: [subject] }], signals: 1, levels };
}

const CALL = callOf(1, { ip: '1.1.1.1', riskLevel: 'HIGH', message: 'tor exit' }, '2026-12-04T11:59:00.000Z');

describe('send SSF transport', () => {
  let server: Server;
  let keys: ProviderKeyPair;
  let answer: (res: ServerResponse) => void;
  let seen: Array<{ method?: string; path?: string; headers: IncomingHttpHeaders; body: string }>;
  let orgUrl: string;
  let now = NOW;
  const clock = { now: () => now, sleep: async () => {} };

  before(async () => {
    keys = await generateProviderKeyPair();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => void (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method, path: req.url, headers: req.headers, body });
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    orgUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    seen = [];
    now = NOW;
    answer = (res) => void res.writeHead(202).end();
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const transport = () => new SsfTransport({ orgUrl, issuer: 'https://transmitter.example.com', keys, subjectEmail: 'jane.doe@example.com', clock, jtiPrefix: 'run-1' });
  const json = (status: number, body: unknown) => (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('posts the SET as application/secevent+jwt with no Authorization header; 202 is accepted', async () => {
    expect((await transport().deliver(CALL)).outcome).to.deep.equal({ kind: 'accepted' });
    expect(seen[0]).to.include({ method: 'POST', path: '/security/api/v1/security-events' });
    expect(seen[0]!.headers['content-type']).to.equal('application/secevent+jwt');
    expect(seen[0]!.headers.authorization).to.equal(undefined);
  });

  it('signs the SET with RS256, the key\'s kid and typ secevent+jwt', async () => {
    await transport().deliver(CALL);
    expect(decodeProtectedHeader(seen[0]!.body)).to.deep.equal({ alg: 'RS256', kid: keys.kid, typ: 'secevent+jwt' });
  });

  it('carries iss, aud (the org URL exactly), iat, the call\'s jti and a user-risk-change about the user, and no exp', async () => {
    await transport().deliver(CALL);
    expect(decodeJwt(seen[0]!.body)).to.deep.equal({
      iss: 'https://transmitter.example.com',
      aud: orgUrl,
      iat: NOW / 1000,
      jti: 'run-1.1',
      events: {
        [USER_RISK_CHANGE]: {
          event_timestamp: Date.UTC(2026, 11, 4, 11, 59, 0) / 1000,
          subject: { user: { format: 'email', email: 'jane.doe@example.com' } },
          current_level: 'high',
          previous_level: 'none',
          initiating_entity: 'system',
          reason_admin: { en: 'tor exit (IP 1.1.1.1)' },
        },
      },
    });
  });

  for (const riskLevel of ['HIGH', 'MEDIUM', 'LOW'] as const) {
    it(`sends a ${riskLevel} signal as a SET whose header and claims match Okta's SecurityEventTokenRequestJwt schemas`, async () => {
      await transport().deliver(callOf(1, { ip: '1.1.1.1', riskLevel }));
      assertMatchesSchema('management', 'SecurityEventTokenRequestJwtHeader', decodeProtectedHeader(seen[0]!.body));
      assertMatchesSchema('management', 'SecurityEventTokenRequestJwtBody', decodeJwt(seen[0]!.body));
    });
  }

  it('fails that schema check for the same SET without its jti (the check can fail)', async () => {
    await transport().deliver(CALL);
    const { jti: _jti, ...claims } = decodeJwt(seen[0]!.body);
    expect(() => assertMatchesSchema('management', 'SecurityEventTokenRequestJwtBody', claims)).to.throw("SecurityEventTokenRequestJwtBody does not match Okta's spec");
  });

  it('keeps the jti of a call across attempts and signs each attempt with a fresh iat', async () => {
    const t = transport();
    await t.deliver(CALL);
    now += 61_000;
    await t.deliver(CALL);
    const [first, second] = seen.map((s) => decodeJwt(s.body));
    expect(second!.jti).to.equal(first!.jti);
    expect(second!.iat).to.equal(first!.iat! + 61);
  });

  it('gives each call its own jti', async () => {
    const t = transport();
    await t.deliver(CALL);
    await t.deliver(callOf(2, { ip: '2.2.2.2', riskLevel: 'LOW' }));
    expect(seen.map((s) => decodeJwt(s.body).jti)).to.deep.equal(['run-1.1', 'run-1.2']);
  });

  it('takes a 204 as acceptance too (one Okta demo expects it)', async () => {
    answer = (res) => void res.writeHead(204).end();
    expect((await transport().deliver(CALL)).outcome).to.deep.equal({ kind: 'accepted' });
  });

  it('reports a 400 invalid_request with its err and description, and lets the run go on', async () => {
    const description = "Failed claim validation in security event token. 'events.mediationUserRiskChangeEvent.currentRiskLevel': Not one of the allowed values";
    answer = json(400, { err: 'invalid_request', description });
    expect((await transport().deliver(CALL)).outcome).to.deep.equal({ kind: 'rejected', status: 400, error: { errorCode: 'invalid_request', errorSummary: description } });
  });

  for (const err of ['invalid_issuer', 'invalid_key', 'authentication_failed', 'invalid_audience']) {
    it(`stops the run on a 400 ${err}: every SET would be refused the same way`, async () => {
      answer = json(400, { err, description: 'refused' });
      expect((await transport().deliver(CALL)).outcome).to.deep.equal({ kind: 'rejected', status: 400, error: { errorCode: err, errorSummary: 'refused' }, stopsRun: true });
    });
  }

  it('classifies a 429 as rate limited and keeps its headers for the pacer', async () => {
    answer = (res) => void res.writeHead(429, { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '1764806400' }).end('{}');
    const { outcome, headers } = await transport().deliver(CALL);
    expect(outcome).to.deep.equal({ kind: 'rate-limited' });
    expect(headers?.get('x-rate-limit-reset')).to.equal('1764806400');
  });

  it('classifies a 500 with an error body as failed: the org did not take the SET', async () => {
    answer = json(500, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' });
    expect((await transport().deliver(CALL)).outcome).to.deep.equal({ kind: 'failed', status: 500 });
  });

  it('classifies a bare 502 as a lost answer: a proxy cannot say what the org did', async () => {
    answer = (res) => void res.writeHead(502).end();
    expect((await transport().deliver(CALL)).outcome).to.deep.equal({ kind: 'lost', reason: 'HTTP 502 without an error body' });
  });

  it('classifies a dropped connection as a lost answer', async () => {
    answer = (res) => void res.socket?.destroy();
    expect((await transport().deliver(CALL)).outcome.kind).to.equal('lost');
  });

  it('declares one signal a call and resends as the same message', () => {
    const t = transport();
    expect(t.limits).to.deep.equal({ eventsPerCall: 1, subjectsPerEvent: 1 });
    expect(t.replaySafe).to.equal(true);
  });
});

describe('send --via ssf signal rules', () => {
  it('takes a signal with a timestamp and no expiresAt', () => {
    expect(ssfSignalProblem({ ip: '1.1.1.1', riskLevel: 'LOW', timestamp: '1970-01-01T00:00:00Z' })).to.equal(undefined);
  });

  it('refuses expiresAt, which a SET cannot carry', () => {
    expect(ssfSignalProblem({ ip: '1.1.1.1', riskLevel: 'LOW', expiresAt: '2026-12-05T00:00:00Z' })?.field).to.equal('expiresAt');
  });

  it('refuses a timestamp before 1970: event_timestamp counts seconds since the epoch', () => {
    expect(ssfSignalProblem({ ip: '1.1.1.1', riskLevel: 'LOW', timestamp: '1969-12-31T23:59:59Z' })).to.deep.equal({
      field: 'timestamp',
      message: "must be 1970-01-01T00:00:00Z or later with --via ssf (a SET's event_timestamp counts seconds since the epoch)",
    });
  });
});
