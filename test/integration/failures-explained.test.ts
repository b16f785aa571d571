import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { OrgClient } from '../../src/org/org-client.ts';
import { formatSummary } from '../../src/run/summary.ts';
import { call, startOrg, type TestOrg } from '../helpers/emulator.ts';
import { settingsFor, verifyAgainst } from './harness.ts';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** An org whose discovery document answers `statuses` in turn (then 200), calling itself `issuer`. */
async function flakyDiscovery(statuses: number[], issuer: (port: number) => string): Promise<{ url: string; asked: () => number; close: () => void }> {
  let asked = 0;
  let port = 0;
  const server = createServer((req, res) => {
    asked++;
    const status = statuses.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 200 ? JSON.stringify({ issuer: issuer(port) }) : JSON.stringify({ errorCode: 'E0000009', errorSummary: 'Internal Server Error' }));
  });
  port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, asked: () => asked, close: () => server.close() };
}

describe('every failure explains itself', function () {
  this.timeout(60_000);
  const noSleep = async (): Promise<void> => undefined;

  describe('the reachability probe', () => {
    it('is retried like a GET after a 5xx', async () => {
      const org = await flakyDiscovery([503, 502], (port) => `http://127.0.0.1:${port}`);
      try {
        const reach = await new OrgClient({ orgUrl: org.url, apiToken: 'x'.repeat(40), sleep: noSleep }).assertReachable('--org-url');
        expect(org.asked()).to.equal(3);
        expect(reach).to.deep.equal({ issuer: org.url, hint: undefined });
      } finally {
        org.close();
      }
    });

    it('gives up with exit code 2 naming the status once every attempt got a 5xx', async () => {
      const org = await flakyDiscovery([500, 500, 500, 500], (port) => `http://127.0.0.1:${port}`);
      try {
        const error = await new OrgClient({ orgUrl: org.url, apiToken: 'x'.repeat(40), sleep: noSleep }).assertReachable('--org-url').then(
          () => undefined,
          (e: unknown) => e as { code: string; exitCode: number; message: string },
        );
        expect(org.asked()).to.equal(4);
        expect(error?.code).to.equal('ERR_ORG_UNREACHABLE');
        expect(error?.exitCode).to.equal(2);
        expect(error?.message).to.equal(`The org at ${org.url} cannot be reached: it answered HTTP 500 to 4 attempts.`);
      } finally {
        org.close();
      }
    });

    it('names a refused connection instead of "fetch failed", after retrying it', async () => {
      const org = await flakyDiscovery([], () => '');
      org.close();
      let sleeps = 0;
      const error = await new OrgClient({ orgUrl: org.url, apiToken: 'x'.repeat(40), sleep: async () => void sleeps++ })
        .assertReachable('--org-url')
        .then(
          () => undefined,
          (e: unknown) => e as { message: string },
        );
      expect(sleeps).to.equal(3);
      expect(error?.message).to.equal(`The org at ${org.url} cannot be reached: connection refused: nothing listens on ${org.url.slice('http://'.length)}.`);
    });

    it('hints at the URL the org calls itself when it is not the one in use', async () => {
      const org = await flakyDiscovery([], (port) => `http://127.0.0.1:${port}`);
      try {
        const localhost = org.url.replace('127.0.0.1', 'localhost');
        const reach = await new OrgClient({ orgUrl: localhost, apiToken: 'x'.repeat(40), sleep: noSleep }).assertReachable('--org-url');
        expect(reach.hint).to.equal(
          `the org calls itself ${org.url} (the issuer in its discovery document), not ${localhost} as --org-url says. ` +
            `Client assertions (aud) and scope grants (issuer) are checked against the org's own URL: set --org-url to ${org.url}.`,
        );
      } finally {
        org.close();
      }
    });

    it('gives no hint when the org calls itself by the URL in use', async () => {
      const org = await flakyDiscovery([], (port) => `http://127.0.0.1:${port}`);
      try {
        expect((await new OrgClient({ orgUrl: org.url, apiToken: 'x'.repeat(40), sleep: noSleep }).assertReachable('--org-url')).hint).to.equal(undefined);
      } finally {
        org.close();
      }
    });
  });

  describe('a verify run', () => {
    let org: TestOrg;
    beforeEach(async () => {
      org = await startOrg({ eventsRateLimit: 3 });
    });
    afterEach(async () => {
      await org.close();
    });

    it('names every retry in the summary and the result: a lost answer in the collection and a 5xx on the harness probe', async () => {
      await org.close();
      // Per faulted request the org draws 429, then 500, then drop: the probe's first attempt gets a 500, its
      // second goes through, and the create-client call is done but its answer is lost.
      const draws = [1, 0, 1, 1, 1, 1, 1, 0];
      org = await startOrg({ faults: { errorRate: 0.5, dropRate: 0.5, routes: ['GET /.well-known/openid-configuration', 'POST /oauth2/v1/clients'], random: () => draws.shift() ?? 1 } });
      const result = await verifyAgainst(org, settingsFor(org));
      expect(result.exitCode).to.equal(0);
      expect(result.retries.map((r) => [r.call, r.source, r.reasons.map((x) => x.replace(/^.*; /, '…; '))])).to.deep.equal([
        ['Admin: API to create OAuth service client (for the provider)', 'collection', ['…; the org had done it']],
        ['GET /.well-known/openid-configuration', 'harness', ['HTTP 500']],
      ]);
      const summary = formatSummary(result);
      expect(summary).to.contain('Retries (the reports keep each request once, with its last attempt):\n');
      expect(summary).to.match(/\n {2}Admin: API to create OAuth service client \(for the provider\): .+; the org had done it\n/);
      expect(summary).to.contain("\n  GET /.well-known/openid-configuration (the harness's own call): HTTP 500\n");
    });

    it("puts the hint about the org's own URL in the summary", async () => {
      const localhost = org.url.replace('127.0.0.1', 'localhost');
      const result = await verifyAgainst(org, settingsFor(org, { orgUrl: localhost }));
      expect(result.urlHint).to.contain(`the org calls itself ${org.url}`);
      expect(formatSummary(result)).to.contain(`Hint: the org calls itself ${org.url} (the issuer in its discovery document), not ${localhost} as --org-url (OKTA_CLIENT_ORGURL) says.`);
    });

    it('stops with exit code 2 before creating anything when --provider-name is taken by another provider', async () => {
      const created = await call(org, 'POST', '/api/v1/risk/providers', { body: { name: 'Acme Risk', clientId: 'null', action: 'log_only' } });
      expect(created.status).to.equal(201);
      const before = org.emulator.store.snapshot();
      const result = await verifyAgainst(org, settingsFor(org, { providerName: 'acme risk' }));
      expect(result.exitCode).to.equal(2);
      expect(result.error?.code).to.equal('ERR_SETTING_INVALID');
      expect(result.error?.message).to.equal(`--provider-name "acme risk" is taken by risk provider ${created.body.id}; Okta requires provider names to be unique.`);
      expect(result.phases).to.deep.equal([]);
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it("shows Okta's cause when creating the run's provider is refused with a 400", async () => {
      // Every provider linked and a slot open, so the run creates one; another provider takes the name meanwhile.
      const [provider] = [...org.emulator.store.providers.values()];
      const other = '0oaOtherIntegration01';
      org.emulator.store.addApp({
        id: other,
        status: 'ACTIVE',
        created: new Date(org.clock.now()).toISOString(),
        lastUpdated: new Date(org.clock.now()).toISOString(),
        issuedAt: Math.floor(org.clock.now() / 1000),
        metadata: { client_name: 'Other vendor', client_uri: null, logo_uri: null, redirect_uris: [], response_types: ['token'], grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', application_type: 'service', jwks: { keys: [] } },
      });
      expect((await call(org, 'PUT', `/api/v1/risk/providers/${provider!.id}`, { body: { name: 'Other vendor', clientId: other, action: 'log_only' } })).status).to.equal(200);
      const result = await verifyAgainst(org, settingsFor(org), {
        onPhase: async (phase) => {
          if (phase === 'update-provider') await call(org, 'POST', '/api/v1/risk/providers', { body: { name: 'Risk Provider Example', clientId: 'null', action: 'log_only' } });
        },
      });
      expect(result.exitCode).to.equal(3);
      expect(result.error?.message).to.equal(
        'Creating a risk provider for the run failed with HTTP 400: E0000001 Api validation failed: name (name: a risk provider with this name already exists; choose another name).',
      );
      expect(result.error?.fix).to.contain('pass another --provider-name');
    });
  });
});
