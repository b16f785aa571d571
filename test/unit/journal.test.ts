import { readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { harnessErrorOf } from '../helpers/errors.ts';
import { Journal, journalPath, readJournal } from '../../src/state/journal.ts';
import { tmp } from '../integration/harness.ts';

const base = { orgUrl: 'https://dev-1.okta.com', runId: 'r1', pid: 1, startedAt: '2026-11-28T12:00:00.000Z', kid: 'kid1', providerName: 'Risk Provider Example' };

const refused = harnessErrorOf;

describe('the run journal', () => {
  it('lives in one file per org under the work folder', () => {
    expect(journalPath('/w', 'https://dev-1.okta.com')).to.equal('/w/state/dev-1.okta.com.json');
    expect(journalPath('/w', 'http://127.0.0.1:8787')).to.equal('/w/state/127.0.0.1_8787.json');
  });

  it('is written before begin() returns, mode 0600 in a 0700 folder, with no temp file left', () => {
    const path = join(tmp('journal'), 'state', 'org.json');
    Journal.begin(path, base);
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.deep.equal({ tool: 'okta-risk-harness', version: 1, ...base });
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).to.equal(0o700);
    expect(readdirSync(join(path, '..'))).to.deep.equal(['org.json']);
  });

  it('records each change on disk as it is made', () => {
    const path = join(tmp('journal'), 'org.json');
    const journal = Journal.begin(path, base);
    journal.clientPending();
    expect(readJournal(path).client).to.deep.equal({ status: 'pending' });
    journal.clientCreated('0oa1');
    expect(readJournal(path).client).to.deep.equal({ status: 'created', id: '0oa1' });
  });

  it('refuses to begin while an earlier run against the org is not cleaned up, naming that run', () => {
    const path = join(tmp('journal'), 'org.json');
    // A process that has ended: its journal is a leftover, not a run in progress.
    const ended = spawnSync(process.execPath, ['-e', '0']).pid!;
    Journal.begin(path, { ...base, pid: ended });
    const error = refused(() => Journal.begin(path, base));
    expect(error.code).to.equal('ERR_STATE_INVALID');
    expect(error.message).to.equal(`An earlier run against https://dev-1.okta.com (run r1, started 2026-11-28T12:00:00.000Z) did not finish cleaning up (${path}).`);
  });

  it('refuses to begin while another run from the folder is still running, naming it, with exit code 2', () => {
    const path = join(tmp('journal'), 'org.json');
    Journal.begin(path, { ...base, pid: process.pid });
    const error = refused(() => Journal.begin(path, { ...base, runId: 'r2' }));
    expect(error.code).to.equal('ERR_ORG_BUSY');
    expect(error.exitCode).to.equal(2);
    expect(error.message).to.equal(`Another verify run is still running against https://dev-1.okta.com from this folder (run r1, started 2026-11-28T12:00:00.000Z, pid ${process.pid}; ${path}).`);
    expect(readJournal(path).runId).to.equal('r1');
  });

  it('removes its file when finished', () => {
    const path = join(tmp('journal'), 'org.json');
    Journal.begin(path, base).finish();
    expect(existsSync(path)).to.equal(false);
  });

  it('refuses a file that is not JSON, naming --state', () => {
    const path = join(tmp('journal'), 'org.json');
    writeFileSync(path, '{"tool": "okta-risk-harness",');
    const error = refused(() => readJournal(path));
    expect(error.message).to.equal(`The state file ${path} is not valid JSON.`);
    expect(error.setting).to.equal('--state');
  });

  it("refuses another tool's file, saying what is wrong", () => {
    const path = join(tmp('journal'), 'org.json');
    writeFileSync(path, JSON.stringify({ tool: 'terraform', version: 4 }));
    expect(refused(() => readJournal(path)).message).to.equal(
      `The state file ${path} is not an okta-risk-harness journal: "tool" is not "okta-risk-harness"; "version" is not 1; "orgUrl" is missing; "kid", "providerName" or "runId" is missing.`,
    );
  });

  it('refuses a journal of another org', () => {
    const path = join(tmp('journal'), 'org.json');
    Journal.begin(path, base);
    expect(refused(() => readJournal(path, 'https://dev-2.okta.com')).message).to.equal(`The state file ${path} is for https://dev-1.okta.com, not https://dev-2.okta.com.`);
  });
});
