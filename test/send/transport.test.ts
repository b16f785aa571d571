import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { AccessTokens } from '../../src/send/access-token.ts';
import { EventsApiTransport } from '../../src/send/events-api-transport.ts';
import type { PlannedCall } from '../../src/send/signal.ts';

const CALL: PlannedCall = { index: 1, events: [{ subjects: [{ ip: '1.1.1.1', riskLevel: 'HIGH' }] }], signals: 1, levels: { HIGH: 1, MEDIUM: 0, LOW: 0 } };
const tokens = { get: async () => 'token-value', renew: async () => 'token-value', authorize: async () => ({ authorization: 'Bearer token-value' }) } as unknown as AccessTokens;

describe('send events API transport', () => {
  let server: Server;
  let answer: (res: import('node:http').ServerResponse) => void;
  let seen: { authorization?: string; dpop?: string; body: string } | undefined;
  let orgUrl: string;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => void (body += c.toString('utf8')));
      req.on('end', () => {
        seen = { authorization: req.headers.authorization, body, ...(req.headers.dpop !== undefined && { dpop: String(req.headers.dpop) }) };
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    orgUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = () => new EventsApiTransport({ orgUrl, tokens }).deliver(CALL);
  const json = (status: number, body: unknown) => (res: import('node:http').ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('sends the DPoP scheme and a proof for the events URL when the token is DPoP-bound', async () => {
    const asked: string[] = [];
    const bound = { authorize: async (method: string, url: string) => (asked.push(`${method} ${url}`), { authorization: 'DPoP token-value', dpop: 'proof-value' }) } as unknown as AccessTokens;
    answer = (res) => void res.writeHead(202).end();
    const { outcome } = await new EventsApiTransport({ orgUrl, tokens: bound }).deliver(CALL);
    expect(outcome).to.deep.equal({ kind: 'accepted' });
    expect(asked).to.deep.equal([`POST ${orgUrl}/api/v1/risk/events/ip`]);
    expect({ authorization: seen?.authorization, dpop: seen?.dpop }).to.deep.equal({ authorization: 'DPoP token-value', dpop: 'proof-value' });
  });

  it('posts the call\'s events as the body with the Bearer token; 202 is accepted', async () => {
    answer = (res) => void res.writeHead(202).end();
    const { outcome } = await send();
    expect(outcome).to.deep.equal({ kind: 'accepted' });
    expect(seen).to.deep.equal({ authorization: 'Bearer token-value', body: JSON.stringify(CALL.events) });
  });

  it('classifies a 500 with Okta\'s error body as failed: the org did not take it', async () => {
    answer = json(500, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' });
    expect((await send()).outcome).to.deep.equal({ kind: 'failed', status: 500 });
  });

  it('classifies a 502 without Okta\'s error body as a lost answer: a proxy cannot say what the org did', async () => {
    answer = (res) => void res.writeHead(502).end('Bad Gateway');
    expect((await send()).outcome).to.deep.equal({ kind: 'lost', reason: "HTTP 502 without Okta's error body" });
  });

  it('classifies a dropped connection as a lost answer', async () => {
    answer = (res) => void res.socket?.destroy();
    expect((await send()).outcome.kind).to.equal('lost');
  });

  it('classifies a 429 as rate limited and keeps its headers for the pacer', async () => {
    answer = (res) => void res.writeHead(429, { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '1764806400' }).end('{}');
    const { outcome, headers } = await send();
    expect(outcome).to.deep.equal({ kind: 'rate-limited' });
    expect(headers?.get('x-rate-limit-reset')).to.equal('1764806400');
  });

  it("classifies a 401 as unauthorized and a 400 as rejected, each with Okta's error", async () => {
    answer = json(401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    expect((await send()).outcome).to.deep.equal({ kind: 'unauthorized', error: { errorCode: 'E0000011', errorSummary: 'Invalid token provided' } });
    const error = { errorCode: 'E0000001', errorSummary: 'Api validation failed: [0].subjects[0].ip', errorCauses: [{ errorSummary: '[0].subjects[0].ip: must be an IPv4 or IPv6 address' }] };
    answer = json(400, error);
    expect((await send()).outcome).to.deep.equal({ kind: 'rejected', status: 400, error });
  });
});
