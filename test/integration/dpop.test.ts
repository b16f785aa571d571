import { expect } from 'chai';
import { HarnessError } from '../../src/errors.ts';
import { formatSummary } from '../../src/run/summary.ts';
import { startOrg, type TestOrg } from '../helpers/emulator.ts';
import { filesBelow, settingsFor, sink, tmp, verifyAgainst } from './harness.ts';

/** Any compact JWS/JWT: a proof, an access token or a client assertion would match. */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

type LoggedEvent = { eventType: string; outcome?: { result?: string }; debugContext?: { debugData?: Record<string, unknown> }; target?: Array<{ id: string }> };

function loggedEvents(org: TestOrg): LoggedEvent[] {
  return org.emulator.store.logs.map((l) => l.event as unknown as LoggedEvent);
}

describe('verify with a DPoP-bound service app', function () {
  this.timeout(90_000);
  let org: TestOrg;

  afterEach(async () => {
    await org.close();
  });

  describe('--dpop', () => {
    beforeEach(async () => {
      org = await startOrg({ eventsRateLimit: 3 });
    });

    it('passes the whole flow and leaves the org as it found it', async () => {
      const before = org.emulator.store.snapshot();
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true }));
      expect({ exitCode: result.exitCode, error: result.error, phases: result.phases.map((p) => p.passed) }).to.deep.equal({
        exitCode: 0,
        error: undefined,
        phases: [true, true, true, true, true],
      });
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
      expect(org.emulator.store.signals).to.have.length(2);
    });

    it('binds the app with PUT /api/v1/apps/{id}, logged as application.lifecycle.update', async () => {
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true }));
      const created = loggedEvents(org).find((e) => e.eventType === 'application.lifecycle.create')!;
      const updates = loggedEvents(org).filter((e) => e.eventType === 'application.lifecycle.update');
      expect({ exitCode: result.exitCode, updated: updates.map((e) => e.target![0]!.id) }).to.deep.equal({ exitCode: 0, updated: [created.target![0]!.id] });
    });

    it('answers the nonce challenge and gets a token bound to the run key', async () => {
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true }));
      const tokenEvents = loggedEvents(org).filter((e) => e.eventType.startsWith('app.oauth2.token.grant'));
      expect(tokenEvents.map((e) => [e.eventType, e.outcome?.result ?? 'SUCCESS', e.debugContext?.debugData?.dpopKeyThumbprint])).to.deep.equal([
        ['app.oauth2.token.grant', 'CHALLENGE', undefined],
        ['app.oauth2.token.grant.access_token', 'SUCCESS', result.dpop!.jkt],
      ]);
    });

    it('names the nonce challenge as a retry of the token request, not as a failure', async () => {
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true }));
      const token = result.phases.find((p) => p.name === 'Test the integration')!.requests[0]!;
      expect({ name: token.name, status: token.status, failed: token.failed, retries: token.retries }).to.deep.equal({
        name: 'Partner: API to get the access token',
        status: 200,
        failed: 0,
        retries: ['HTTP 400 use_dpop_nonce (the DPoP nonce challenge)'],
      });
    });

    it('says in the summary that the app was bound to DPoP, and to which key', async () => {
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true }));
      expect(formatSummary(result)).to.contain(`DPoP: the service app was bound to DPoP (--dpop); the partner requests sent a fresh DPoP proof each, with a token bound to key ${result.dpop!.jkt} (cnf.jkt).`);
    });

    it('sends several events batches, each with a proof of its own', async () => {
      const cwd = tmp('dpop-batches');
      const events = Array.from({ length: 21 }, (_, i) => ({ timestamp: '2021-01-20T00:00:00.001Z', subjects: [{ ip: `10.0.0.${i + 1}`, riskLevel: 'LOW', message: 'none' }] }));
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${cwd}/events.json`, JSON.stringify(events));
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true, events: `${cwd}/events.json` }, cwd));
      expect({ exitCode: result.exitCode, signals: org.emulator.store.signals.length }).to.deep.equal({ exitCode: 0, signals: 21 });
    });

    it('ends with exit code 130 and tears down the bound app when interrupted once it is bound', async () => {
      const before = org.emulator.store.snapshot();
      const controller = new AbortController();
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true }), {
        signal: controller.signal,
        onPhase: (phase) => {
          if (phase === 'send-risk-events') controller.abort();
        },
      });
      expect({ exitCode: result.exitCode, signals: org.emulator.store.signals.length }).to.deep.equal({ exitCode: 130, signals: 0 });
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('renews an expiring DPoP token with the nonce it already has, so the org challenges once', async () => {
      await org.close();
      org = await startOrg({ eventsRateLimit: 1 });
      const cwd = tmp('dpop-long');
      const events = Array.from({ length: 61 }, (_, i) => ({ subjects: [{ ip: `10.0.0.${i + 1}`, riskLevel: 'LOW' }] }));
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${cwd}/events.json`, JSON.stringify(events));
      // Every wait for the rate limit also lets 25 minutes pass: the hour-long token runs out mid-run.
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true, events: 'events.json' }, cwd), { sleep: async (ms) => org.clock.advance(ms + 25 * 60_000) });
      const outcomes = loggedEvents(org)
        .filter((e) => e.eventType.startsWith('app.oauth2.token.grant'))
        .map((e) => e.outcome?.result ?? 'SUCCESS');
      expect({ exitCode: result.exitCode, signals: org.emulator.store.signals.length, challenges: outcomes.filter((o) => o === 'CHALLENGE').length }).to.deep.equal({
        exitCode: 0,
        signals: 61,
        challenges: 1,
      });
      expect(outcomes.filter((o) => o === 'SUCCESS').length).to.be.greaterThan(1);
    });

    it('writes no proof, token or assertion into any report, file or output', async () => {
      const cwd = tmp('dpop-secrets');
      const out = sink();
      const err = sink();
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true, reporters: ['cli', 'junit', 'html', 'htmlextra'] }, cwd), { streams: { out, err } });
      expect(result.exitCode).to.equal(0);
      const leaks = [...filesBelow(cwd).map((f) => [f.path, f.text]), ['stdout', out.text], ['stderr', err.text], ['summary', formatSummary(result, cwd)]]
        .filter(([, text]) => JWT.test(text!))
        .map(([where]) => where);
      expect(leaks).to.deep.equal([]);
    });

    it('stops with exit code 3, naming the PUT and what the org said, when the org refuses to bind the app, and tears down', async () => {
      await org.close();
      org = await startOrg({ eventsRateLimit: 3, faults: { routes: ['PUT /api/v1/apps/:appId'], errorRate: 1 } });
      const before = org.emulator.store.snapshot();
      const result = await verifyAgainst(org, settingsFor(org, { dpop: true }));
      expect({ exitCode: result.exitCode, code: result.error?.code }).to.deep.equal({ exitCode: 3, code: 'ERR_RUN_BROKEN' });
      expect(result.error!.message).to.match(/^Binding the service app 0oa\w+ to DPoP failed: PUT \/api\/v1\/apps\/0oa\w+ answered HTTP 500: E0000009 Internal Server Error\.$/);
      // The PUT's retries waited (the clock moved), so the restored provider has a later lastUpdated.
      const after = org.emulator.store.snapshot();
      expect({ ...after, providers: after.providers.map(({ lastUpdated: _, ...p }) => p) }).to.deep.equal({ ...before, providers: before.providers.map(({ lastUpdated: _, ...p }) => p) });
    });
  });

  describe('automatic detection', () => {
    beforeEach(async () => {
      // An org whose new service apps require DPoP, as Admin Console ones do.
      org = await startOrg({ eventsRateLimit: 3, dpopByDefault: true });
    });

    it('switches to DPoP when the token endpoint says the app requires it, and passes', async () => {
      const before = org.emulator.store.snapshot();
      const result = await verifyAgainst(org, settingsFor(org));
      expect({ exitCode: result.exitCode, how: result.dpop?.how, signals: org.emulator.store.signals.length }).to.deep.equal({ exitCode: 0, how: 'detected', signals: 2 });
      expect(org.emulator.store.snapshot()).to.deep.equal(before);
    });

    it('says so on stderr when it switches', async () => {
      const err = sink();
      await verifyAgainst(org, settingsFor(org), { streams: { out: sink(), err } });
      expect(err.text).to.contain(
        'DPoP: the token endpoint answered invalid_dpop_proof "The DPoP proof JWT header is missing.": the app is DPoP-bound; switching to DPoP-bound tokens (as --dpop does) and sending the token request again with a DPoP proof.',
      );
    });

    it('says so in the summary', async () => {
      const result = await verifyAgainst(org, settingsFor(org));
      expect(formatSummary(result)).to.contain('DPoP: switched on because the token endpoint answered invalid_dpop_proof');
    });

    it('switches to DPoP when the events go in several calls too', async () => {
      const cwd = tmp('dpop-detect-batches');
      const events = Array.from({ length: 21 }, (_, i) => ({ subjects: [{ ip: `10.0.1.${i + 1}`, riskLevel: 'MEDIUM' }] }));
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${cwd}/events.json`, JSON.stringify(events));
      const result = await verifyAgainst(org, settingsFor(org, { events: 'events.json' }, cwd));
      expect({ exitCode: result.exitCode, how: result.dpop?.how, signals: org.emulator.store.signals.length }).to.deep.equal({ exitCode: 0, how: 'detected', signals: 21 });
    });

    it('does not bind the app itself: the org had bound it', async () => {
      await verifyAgainst(org, settingsFor(org));
      expect(loggedEvents(org).filter((e) => e.eventType === 'application.lifecycle.update')).to.deep.equal([]);
    });

    it('names both DPoP answers as retries of the token request', async () => {
      const result = await verifyAgainst(org, settingsFor(org));
      const token = result.phases.find((p) => p.name === 'Test the integration')!.requests[0]!;
      expect({ status: token.status, retries: token.retries }).to.deep.equal({
        status: 200,
        retries: ['HTTP 400 invalid_dpop_proof (the app requires DPoP)', 'HTTP 400 use_dpop_nonce (the DPoP nonce challenge)'],
      });
    });
  });

  describe('without DPoP', () => {
    it('uses Bearer tokens and reports no DPoP on an org that does not ask for it', async () => {
      org = await startOrg({ eventsRateLimit: 3 });
      const result = await verifyAgainst(org, settingsFor(org));
      const granted = loggedEvents(org).find((e) => e.eventType === 'app.oauth2.token.grant.access_token')!;
      expect({ exitCode: result.exitCode, dpop: result.dpop, jkt: granted.debugContext?.debugData?.dpopKeyThumbprint }).to.deep.equal({ exitCode: 0, dpop: undefined, jkt: undefined });
    });

    it('refuses --keep with --dpop before anything runs (exit 2), naming --dpop', async () => {
      org = await startOrg();
      const error = (() => {
        try {
          settingsFor(org, { dpop: true, keep: true });
        } catch (e) {
          return e;
        }
      })() as HarnessError;
      expect({ code: error.code, exitCode: error.exitCode, message: error.message }).to.deep.equal({
        code: 'ERR_SETTING_INVALID',
        exitCode: 2,
        message: '--keep and --dpop cannot be combined: Postman cannot sign the DPoP proof every partner request of a DPoP-bound app needs.',
      });
    });
  });
});
