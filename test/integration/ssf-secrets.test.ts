/**
 * Secrets of a `verify --flow ssf` run — the API token, the transmitter's private key and every SET it signed —
 * never reach a report (JUnit, report.html, htmlextra), the run's folders, stdout, stderr, the summary or the
 * result; and they reach the org only where Okta expects them.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import { generateProviderKeyPair } from '../../src/keys/index.ts';
import { formatSummary } from '../../src/run/summary.ts';
import type { VerifyResult } from '../../src/run/verify.ts';
import { startTappedOrg, type Tap, type TestOrg } from '../helpers/emulator.ts';
import { printedDuring } from '../helpers/printed.ts';
import { filesBelow, settingsFor, tmp, verifyAgainst } from './harness.ts';

/** The SETs the org was pushed, as the tap saw them (each push's body is one compact JWS). */
function pushedSets(tap: Tap): string[] {
  return tap.requests.map((r) => r.split(' ')[0]!).filter((body) => /^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(body));
}

describe('secrets of a verify --flow ssf run', function () {
  this.timeout(60_000);
  let org: TestOrg & { tap: Tap };
  let result: VerifyResult;
  let printed = '';
  let secrets: string[] = [];
  let artifacts: Array<{ where: string; text: string }> = [];

  before(async () => {
    org = await startTappedOrg();
    const cwd = tmp('ssf-secrets');
    const pair = await generateProviderKeyPair();
    const keyFile = join(cwd, 'transmitter-key.json');
    writeFileSync(keyFile, JSON.stringify(pair.privateJwk), { mode: 0o600 });
    const settings = settingsFor(org, { flow: 'ssf', key: keyFile, reporters: ['cli', 'junit', 'html', 'htmlextra'] }, cwd);
    ({ result, printed } = await printedDuring(() => verifyAgainst(org, settings, { streams: { out: process.stdout, err: process.stderr } })));
    const sets = pushedSets(org.tap);
    secrets = [org.apiToken, ...sets, ...sets.map((s) => s.split('.')[2]!), ...(['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).map((m) => String(pair.privateJwk[m]))];
    artifacts = [
      ...filesBelow(settings.reportsDir).map((f) => ({ where: f.path, text: f.text })),
      ...filesBelow(settings.workDir).map((f) => ({ where: f.path, text: f.text })),
      { where: 'stdout and stderr', text: printed },
      { where: 'summary', text: formatSummary(result, cwd) },
      { where: 'result', text: JSON.stringify(result) },
    ];
  });
  after(() => org.close());

  it('passes, with all three report files and the live output written', () => {
    expect(result.exitCode, printed.slice(-3000)).to.equal(0);
    expect(artifacts.filter((a) => /\.(html|xml)$/.test(a.where)).map((a) => basename(a.where)).sort()).to.deep.equal(['htmlextra.html', 'junit.xml', 'report.html']);
    expect(printed).to.contain('Transmitter: API to push a Security Event Token');
  });

  it('pushed two SETs the search can look for', () => {
    expect(pushedSets(org.tap)).to.have.length(2);
  });

  it('keeps the API token, the private key and every SET out of every artifact', () => {
    for (const artifact of artifacts) {
      for (const secret of secrets) {
        expect(artifact.text.includes(secret), `${artifact.where} holds a secret (${secret.slice(0, 6)}…)`).to.equal(false);
        expect(artifact.text.includes(encodeURIComponent(secret)), `${artifact.where} holds an encoded secret`).to.equal(false);
      }
    }
  });

  it('says in report.html why the push call’s bodies are not shown', () => {
    const report = artifacts.find((a) => a.where.endsWith('report.html'))!.text;
    expect(report).to.contain('The bodies of this call are not shown: the request carries a signed security event token.');
  });

  it('sends the API token only as SSWS to the admin APIs, and the SETs with no Authorization', () => {
    const pushes = org.tap.requests.filter((r) => /^eyJ/.test(r));
    expect(pushes.map((r) => r.endsWith(' '))).to.deep.equal([true, true]);
    expect(org.tap.requests.some((r) => r.endsWith(` SSWS ${org.apiToken}`))).to.equal(true);
  });
});
