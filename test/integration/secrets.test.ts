import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import { generateProviderKeyPair } from '../../src/keys/index.ts';
import { formatSummary } from '../../src/run/summary.ts';
import { startTappedOrg, type Tap, type TestOrg } from '../helpers/emulator.ts';
import { printedDuring } from '../helpers/printed.ts';
import { filesBelow, settingsFor, tmp, verifyAgainst } from './harness.ts';

/** The access tokens the org issued and the client assertions it was sent, as the tap saw them. */
function issuedSecrets(tap: Tap): string[] {
  const tokens = tap.responses.flatMap((r) => [...r.matchAll(/"access_token":"([^"]+)"/g)].map((m) => m[1]!));
  const assertions = tap.requests.flatMap((r) => [...r.matchAll(/client_assertion=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!));
  return [...tokens, ...assertions];
}

describe('secrets of a run', function () {
  this.timeout(60_000);
  let org: TestOrg & { tap: Tap };

  before(async () => {
    org = await startTappedOrg();
  });
  after(async () => {
    await org.close();
  });

  it('never reach a report, a state or environment file, stdout, stderr or the summary', async () => {
    const cwd = tmp('secrets');
    const pair = await generateProviderKeyPair();
    const keyFile = join(cwd, 'provider-key.json');
    writeFileSync(keyFile, JSON.stringify(pair.privateJwk), { mode: 0o600 });
    const settings = settingsFor(org, { key: keyFile, reporters: ['cli', 'junit', 'html', 'htmlextra'] }, cwd);

    const { result, printed } = await printedDuring(() => verifyAgainst(org, settings, { streams: { out: process.stdout, err: process.stderr } }));
    expect(result.exitCode, printed.slice(-3000)).to.equal(0);

    const issued = issuedSecrets(org.tap);
    expect(issued.length, 'the tap saw at least one token and one assertion').to.be.greaterThanOrEqual(2);
    const secrets = [org.apiToken, ...issued, ...(['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).map((m) => String(pair.privateJwk[m]))];
    // What a run leaves: reports, the run folder (removed at the end unless --keep), printed text, the summary.
    const artifacts = [
      ...filesBelow(settings.reportsDir).map((f) => ({ where: f.path, text: f.text })),
      ...filesBelow(settings.workDir).map((f) => ({ where: f.path, text: f.text })),
      { where: 'stdout and stderr', text: printed },
      { where: 'summary', text: formatSummary(result, cwd) },
      { where: 'result', text: JSON.stringify(result) },
    ];
    // Both HTML pages are searched: the self-contained report (which shows every call's request and response)
    // and htmlextra's.
    expect(artifacts.filter((a) => a.where.endsWith('.html')).map((a) => basename(a.where)).sort()).to.deep.equal(['htmlextra.html', 'report.html']);
    const report = artifacts.find((a) => a.where.endsWith('report.html'))!.text;
    expect(report).to.contain('Partner: API to send RiskEvents (Auth using access token)');
    expect(report).to.contain('Request and response');
    expect(printed).to.contain('Partner: API to get the access token');
    for (const artifact of artifacts) {
      for (const secret of secrets) {
        expect(artifact.text.includes(secret), `${artifact.where} holds a secret (${secret.slice(0, 6)}…)`).to.equal(false);
        expect(artifact.text.includes(encodeURIComponent(secret)), `${artifact.where} holds an encoded secret`).to.equal(false);
      }
    }
  });

  it('reach the org only where Okta expects them (the token in Authorization, the assertion in the form)', () => {
    const assertionRequests = org.tap.requests.filter((r) => r.includes('client_assertion='));
    expect(assertionRequests.length).to.be.greaterThanOrEqual(1);
    expect(org.tap.requests.some((r) => r.endsWith(` SSWS ${org.apiToken}`))).to.equal(true);
  });
});
