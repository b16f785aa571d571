/** The SSF flow's Security Events Provider in the journal, its undo steps, and their checks when the journal is read. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Journal, readJournal, type JournalData } from '../../src/state/journal.ts';
import { undoneEntry, undoPlan } from '../../src/state/undo-plan.ts';
import { harnessErrorOf } from '../helpers/errors.ts';
import { tmp } from '../integration/harness.ts';

const base = { orgUrl: 'https://acme.okta.com', runId: 'r1', pid: 1, startedAt: '2026-11-28T12:00:00.000Z', kid: 'kid1', providerName: 'okta-risk-harness SSF transmitter' };
const ISSUER = 'http://127.0.0.1:4000/okta-risk-harness/r1';

function journal(): Journal {
  return Journal.begin(join(tmp('ssf-journal'), 'org.json'), base);
}

function data(extra: Partial<JournalData>): JournalData {
  return { tool: 'okta-risk-harness', version: 1, ...base, ...extra };
}

describe('the journal’s Security Events Provider', () => {
  it('records the provider pending, with the run’s issuer, before its create call is sent', () => {
    const j = journal();
    j.securityEventsProviderPending(ISSUER);
    expect(readJournal(j.path).securityEventsProvider).to.deep.equal({ status: 'pending', issuer: ISSUER });
  });

  it('records the provider created with its id, keeping the issuer', () => {
    const j = journal();
    j.securityEventsProviderPending(ISSUER);
    j.securityEventsProviderCreated('sse1');
    expect(readJournal(j.path).securityEventsProvider).to.deep.equal({ status: 'created', id: 'sse1', issuer: ISSUER });
  });

  it('keeps the first entry when pending is recorded again', () => {
    const j = journal();
    j.securityEventsProviderPending(ISSUER);
    j.securityEventsProviderCreated('sse1');
    j.securityEventsProviderPending(ISSUER);
    expect(readJournal(j.path).securityEventsProvider).to.deep.equal({ status: 'created', id: 'sse1', issuer: ISSUER });
  });

  it('records no created provider that was never pending', () => {
    const j = journal();
    j.securityEventsProviderCreated('sse1');
    expect(readJournal(j.path).securityEventsProvider).to.equal(undefined);
  });

  it('is not empty while the provider is recorded, and empty once it is undone', () => {
    const j = journal();
    j.securityEventsProviderPending(ISSUER);
    expect(j.empty).to.equal(false);
    j.undone('securityEventsProvider');
    expect({ empty: j.empty, entry: readJournal(j.path).securityEventsProvider }).to.deep.equal({ empty: true, entry: undefined });
  });

  it('refuses a state file whose securityEventsProvider is malformed', () => {
    const path = join(tmp('ssf-journal'), 'org.json');
    writeFileSync(path, JSON.stringify(data({ securityEventsProvider: { status: 'created', issuer: ISSUER } as never })));
    const error = harnessErrorOf(() => readJournal(path));
    expect({ code: error.code, message: error.message }).to.deep.equal({
      code: 'ERR_STATE_INVALID',
      message: `The state file ${path} is not an okta-risk-harness journal: "securityEventsProvider" is malformed.`,
    });
  });
});

describe('the undo plan for the SSF flow', () => {
  it('deletes a created provider by its id', () => {
    expect(undoPlan(data({ securityEventsProvider: { status: 'created', id: 'sse1', issuer: ISSUER } }))).to.deep.equal([{ kind: 'delete-security-events-provider', id: 'sse1' }]);
  });

  it('finds a pending provider by the run’s issuer', () => {
    expect(undoPlan(data({ securityEventsProvider: { status: 'pending', issuer: ISSUER } }))).to.deep.equal([{ kind: 'find-security-events-providers', issuer: ISSUER }]);
  });

  it('has nothing to do without a provider', () => {
    expect(undoPlan(data({}))).to.deep.equal([]);
  });

  it('clears the securityEventsProvider entry once either step is done', () => {
    expect([undoneEntry({ kind: 'delete-security-events-provider', id: 'sse1' }), undoneEntry({ kind: 'find-security-events-providers', issuer: ISSUER })]).to.deep.equal([
      'securityEventsProvider',
      'securityEventsProvider',
    ]);
  });
});
