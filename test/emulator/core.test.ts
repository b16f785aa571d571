import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { buildEmulator, createOrgKeys, OrgSigningKey, seededRandom, type EmulatorOptions, type OrgKeys } from '../../src/emulator/index.ts';
import { MANAGEMENT_ERRORS, OAUTH_ERRORS } from '../../src/emulator/errors.ts';
import { call, putServiceApp, startOrg, type TestOrg } from '../helpers/emulator.ts';

const catalog = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/catalogs/${name}`, import.meta.url), 'utf8')) as { errors: Array<Record<string, unknown>> };

describe('emulator core', () => {
  let org: TestOrg;
  before(async () => {
    org = await startOrg();
  });
  after(() => org.close());
  beforeEach(() => org.emulator.reset());

  describe("Okta's catalogs", () => {
    for (const [code, entry] of Object.entries(MANAGEMENT_ERRORS)) {
      it(`uses the catalog's status and summary for ${code}`, () => {
        const found = catalog('error-codes.json').errors.find((e) => e.errorCode === code);
        expect(found, `${code} is in Okta's catalog`).to.not.equal(undefined);
        expect([found!.statusCode, found!.errorSummary]).to.deep.equal([entry.status, entry.summary]);
      });
    }

    for (const [internal, [status, error, text]] of Object.entries(OAUTH_ERRORS)) {
      it(`uses the catalog's status, error and description for ${internal}`, () => {
        const found = catalog('oauth2-error-codes.json').errors.find((e) => e.internalErrorCode === internal);
        expect(found, `${internal} is in Okta's OAuth catalog`).to.not.equal(undefined);
        // The catalog prints the {0} placeholder as "en" (a build artifact of its generator).
        expect([found!.statusCode, found!.errorCode, found!.errorDescription]).to.deep.equal([status, error, text.replace('{0}', 'en')]);
      });
    }
  });

  describe('every answer', () => {
    it('carries an X-Okta-Request-Id, unique per request', async () => {
      const a = await call(org, 'GET', '/api/v1/risk/providers');
      const b = await call(org, 'GET', '/nowhere');
      expect(a.headers.get('x-okta-request-id')).to.match(/^[A-Za-z0-9]{27}$/);
      expect(b.headers.get('x-okta-request-id')).to.match(/^[A-Za-z0-9]{27}$/);
      expect(a.headers.get('x-okta-request-id')).to.not.equal(b.headers.get('x-okta-request-id'));
    });

    it('carries X-Rate-Limit-* headers on management routes, counting down', async () => {
      const first = await call(org, 'GET', '/api/v1/risk/providers');
      const second = await call(org, 'GET', '/api/v1/risk/providers');
      expect(first.headers.get('x-rate-limit-limit')).to.equal('600');
      expect(first.headers.get('x-rate-limit-remaining')).to.equal('599');
      expect(second.headers.get('x-rate-limit-remaining')).to.equal('598');
      expect(first.headers.get('x-rate-limit-reset')).to.equal(String(Math.ceil((org.clock.now() + 60_000) / 1000)));
    });
  });

  describe('unknown paths and methods', () => {
    it('answers an unknown path with 404 E0000008', async () => {
      const res = await call(org, 'GET', '/api/v1/nothing-here');
      expect(res.status).to.equal(404);
      expect(res.body).to.deep.include({ errorCode: 'E0000008', errorSummary: 'The requested path was not found', errorLink: 'E0000008', errorCauses: [] });
      expect(res.body.errorId).to.match(/^oae[A-Za-z0-9]{22}$/);
    });

    it('answers a method the path does not support with 405 E0000022 and an Allow header', async () => {
      const res = await call(org, 'PATCH', '/api/v1/risk/providers');
      expect(res.status).to.equal(405);
      expect(res.body).to.deep.include({ errorCode: 'E0000022', errorSummary: 'The endpoint does not support the provided HTTP method' });
      expect(res.headers.get('allow')).to.equal('GET, POST');
    });

    it('matches the dot of /.well-known literally', async () => {
      expect((await call(org, 'GET', '/.well-known/oauth-authorization-server', { auth: null })).status).to.equal(200);
      expect((await call(org, 'GET', '/x.well-known/oauth-authorization-server', { auth: null })).status).to.equal(404);
      expect((await call(org, 'GET', '/-well-known/oauth-authorization-server', { auth: null })).status).to.equal(404);
    });
  });

  describe('request bodies', () => {
    it('answers malformed JSON with 400 E0000003 and changes nothing', async () => {
      const before = org.emulator.store.snapshot();
      const res = await call(org, 'POST', '/api/v1/risk/providers', { body: '{"name":', headers: { 'content-type': 'application/json' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.include({ errorCode: 'E0000003', errorSummary: 'The request body was not well-formed.' });
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('answers a body that is not JSON by content type with 400 E0000021', async () => {
      const res = await call(org, 'POST', '/api/v1/risk/providers', { body: 'name=x', headers: { 'content-type': 'text/plain' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.include({ errorCode: 'E0000021', errorSummary: 'Bad request.  Accept and/or Content-Type headers likely do not match supported values.' });
    });

    it('refuses a body over 1 MiB with 400 E0000001 instead of reading it', async () => {
      const res = await call(org, 'POST', '/api/v1/risk/providers', { body: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }), headers: { 'content-type': 'application/json' } });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.include({ errorCode: 'E0000001', errorSummary: 'Api validation failed: request body too large' });
    });
  });

  describe('reset', () => {
    it('returns to a fresh org with only the default provider', async () => {
      await call(org, 'POST', '/api/v1/risk/providers', { body: { name: 'x', clientId: 'null' } });
      org.emulator.reset();
      const providers = (await call(org, 'GET', '/api/v1/risk/providers')).body as Array<{ name: string; clientId: string; action: string }>;
      expect(providers.map((p) => [p.name, p.clientId, p.action])).to.deep.equal([['Default ', 'null', 'log_only']]);
      expect(org.emulator.store.logs).to.deep.equal([]);
    });
  });
});

describe('emulator options', () => {
  it('listens on loopback by default', async () => {
    const emulator = await buildEmulator();
    const url = await emulator.listen();
    try {
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulator.orgUrl).to.equal(url);
    } finally {
      await emulator.close();
    }
  });

  it('refuses an org URL with a trailing slash', async () => {
    let error: unknown;
    await buildEmulator({ orgUrl: 'http://127.0.0.1:1/' }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.equal('orgUrl must be a scheme and host with no path or trailing slash, got http://127.0.0.1:1/');
  });

  it('refuses an events rate limit that is not a positive integer', async () => {
    let error: unknown;
    await buildEmulator({ eventsRateLimit: 0 }).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('eventsRateLimit must be a positive integer, got 0');
  });
});

describe('the org signing key', () => {
  const servedKids = async (options: EmulatorOptions = {}): Promise<string[]> => {
    const org = await startOrg(options);
    try {
      return ((await call(org, 'GET', '/oauth2/v1/keys')).body as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    } finally {
      await org.close();
    }
  };

  it('is a new key for each emulator by default', async () => {
    const [a, b] = [await servedKids(), await servedKids()];
    expect(a).to.have.length(1);
    expect(b).to.have.length(1);
    expect(a[0]).to.not.equal(b[0]);
  });

  it('names its key with an opaque 43-character base64url kid, as Okta does', async () => {
    const [kid] = await servedKids();
    expect(kid).to.match(/^[A-Za-z0-9_-]{43}$/);
  });

  it('is the key given with OrgSigningKey.of, served at /oauth2/v1/keys', async () => {
    const keys = await createOrgKeys();
    expect(await servedKids({ orgKey: OrgSigningKey.of(keys) })).to.deep.equal([keys.publicJwk.kid]);
  });

  it('does not start making a given key at build', async () => {
    const key = new OrgSigningKey();
    const org = await startOrg({ orgKey: key });
    await org.close();
    expect(key.started).to.equal(false);
  });

  it("names a key not made yet in an app's credentials.signing.kid", async () => {
    const key = new OrgSigningKey();
    const org = await startOrg({ orgKey: key });
    try {
      putServiceApp(org, '0oa1keynotmadeyet0x7');
      const res = await call(org, 'GET', '/api/v1/apps/0oa1keynotmadeyet0x7');
      expect(res.status).to.equal(200);
      expect(res.body.credentials.signing).to.deep.equal({ kid: key.kid });
      expect(key.started).to.equal(false);
    } finally {
      await org.close();
    }
  });

  it('makes a key nobody started at its first use, under the kid it had', async () => {
    const key = new OrgSigningKey();
    expect(await servedKids({ orgKey: key })).to.deep.equal([key.kid]);
    expect(key.started).to.equal(true);
  });

  it('makes the pair once, however many ask for it at once', async () => {
    const key = new OrgSigningKey();
    const [a, b, c] = await Promise.all([key.keys(), key.start().keys(), key.keys()]);
    expect(a).to.equal(b);
    expect(b).to.equal(c);
  });

  it('answers /oauth2/v1/keys with 500 E0000009 when the key cannot be made, and reports why with the request id', async () => {
    class UnmakeableKey extends OrgSigningKey {
      override keys(): Promise<OrgKeys> {
        return Promise.reject(new Error('no entropy'));
      }
    }
    const logged: Array<{ message: string; id: string }> = [];
    const org = await startOrg({ orgKey: new UnmakeableKey(), onError: (error, id) => void logged.push({ message: (error as Error).message, id }) });
    try {
      const res = await call(org, 'GET', '/oauth2/v1/keys');
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.include({ errorCode: 'E0000009', errorSummary: 'Internal Server Error', errorLink: 'E0000000' });
      expect(logged).to.deep.equal([{ message: 'no entropy', id: res.headers.get('x-okta-request-id') }]);
    } finally {
      await org.close();
    }
  });
});

describe('emulator faults', () => {
  let org: TestOrg;
  afterEach(() => org.close());

  it('answers 500 E0000009 without acting at errorRate 1', async () => {
    org = await startOrg({ faults: { errorRate: 1, routes: ['POST /api/v1/risk/providers'] } });
    const before = org.emulator.store.snapshot();
    const res = await call(org, 'POST', '/api/v1/risk/providers', { body: { name: 'x', clientId: 'null' } });
    expect(res.status).to.equal(500);
    expect(res.body).to.deep.include({ errorCode: 'E0000009', errorSummary: 'Internal Server Error', errorLink: 'E0000000' });
    expect(org.emulator.store.snapshot()).to.deep.equal(before);
    expect(org.emulator.faults.counts.error).to.equal(1);
  });

  it('leaves routes outside the fault list alone', async () => {
    org = await startOrg({ faults: { errorRate: 1, routes: ['POST /api/v1/risk/providers'] } });
    expect((await call(org, 'GET', '/api/v1/risk/providers')).status).to.equal(200);
  });

  it('acts, then drops the connection without an answer, at dropRate 1', async () => {
    org = await startOrg({ faults: { dropRate: 1, routes: ['/api/v1/risk/'] } });
    let error: unknown;
    await call(org, 'POST', '/api/v1/risk/providers', { body: { name: 'dropped', clientId: 'null' } }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(Error);
    expect([...org.emulator.store.providers.values()].map((p) => p.name)).to.include('dropped');
  });

  it('answers 429 E0000047 with spent rate-limit headers without acting at rateLimitRate 1', async () => {
    org = await startOrg({ faults: { rateLimitRate: 1, routes: ['POST'] } });
    const res = await call(org, 'POST', '/api/v1/risk/providers', { body: { name: 'x', clientId: 'null' } });
    expect(res.status).to.equal(429);
    expect(res.body).to.deep.include({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' });
    expect(res.headers.get('x-rate-limit-remaining')).to.equal('0');
    expect(Number(res.headers.get('x-rate-limit-reset'))).to.equal(Math.ceil(org.clock.now() / 1000) + 1);
    expect(org.emulator.store.providers.size).to.equal(1);
  });

  it('deals faults at about the asked rate, repeatably with a seeded random source', async () => {
    const counts: number[] = [];
    for (let run = 0; run < 2; run++) {
      org = await startOrg({ faults: { errorRate: 0.2, random: seededRandom(7) } });
      let failed = 0;
      for (let i = 0; i < 200; i++) if ((await call(org, 'GET', '/api/v1/risk/providers')).status === 500) failed++;
      counts.push(failed);
      if (run === 0) await org.close();
    }
    expect(counts[0]).to.equal(counts[1]);
    expect(counts[0]).to.be.within(25, 55);
  });

  it('delays answers by latencyMs', async () => {
    org = await startOrg({ faults: { latencyMs: 150 } });
    const started = performance.now();
    await call(org, 'GET', '/api/v1/risk/providers');
    expect(performance.now() - started).to.be.at.least(140);
  });

  it('refuses a fault rate outside 0 to 1', async () => {
    let error: unknown;
    await buildEmulator({ faults: { errorRate: 1.5 } }).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('faults.errorRate must be a number from 0 to 1, got 1.5');
  });
});

describe('HEAD requests', () => {
  it('answers like GET without a body', async () => {
    const org = await startOrg();
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${org.url}/oauth2/v1/keys`, { method: 'HEAD' }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).to.equal(200);
    } finally {
      await org.close();
    }
  });
});
