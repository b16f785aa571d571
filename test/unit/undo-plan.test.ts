import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Journal, readJournal, type JournalData } from '../../src/state/journal.ts';
import { undoPlan } from '../../src/state/undo-plan.ts';
import { tmp } from '../integration/harness.ts';

const base = { orgUrl: 'https://dev-1.okta.com', runId: 'r1', pid: 1, startedAt: '2026-11-28T12:00:00.000Z', kid: 'kid1', providerName: 'Risk Provider Example' };
const previous = { name: 'Default', clientId: 'null', action: 'log_only' };

function journal(): Journal {
  return Journal.begin(join(tmp('undo'), 'org.json'), base);
}

function data(extra: Partial<JournalData>): JournalData {
  return { tool: 'okta-risk-harness', version: 1, ...base, ...extra };
}

describe('the journal transitions', () => {
  it('records a pending client once: a second pending keeps the first entry', () => {
    const j = journal();
    j.clientPending();
    j.clientCreated('0oa1');
    j.clientPending();
    expect(readJournal(j.path).client).to.deep.equal({ status: 'created', id: '0oa1' });
  });

  it('records a pending grant on the app the journal knows', () => {
    const j = journal();
    j.clientCreated('0oa1');
    j.grantPending();
    expect(readJournal(j.path).grant).to.deep.equal({ status: 'pending', clientId: '0oa1' });
  });

  it('records no pending grant before the app is known', () => {
    const j = journal();
    j.clientPending();
    j.grantPending();
    expect(readJournal(j.path).grant).to.equal(undefined);
  });

  it('records a created grant with the app of its pending entry', () => {
    const j = journal();
    j.clientCreated('0oa1');
    j.grantPending();
    j.grantCreated('0oaG');
    expect(readJournal(j.path).grant).to.deep.equal({ status: 'created', clientId: '0oa1', id: '0oaG' });
  });

  it('keeps the first previous settings when a provider is taken twice', () => {
    const j = journal();
    j.providerTaken('rkp1', previous);
    j.providerTaken('rkp1', { name: 'Ours', clientId: '0oa1', action: 'enforce_and_log' });
    expect(readJournal(j.path).provider).to.deep.equal({ id: 'rkp1', created: false, previous });
  });

  it('records a provider the run created with nothing to restore', () => {
    const j = journal();
    j.providerCreated('rkp2');
    expect(readJournal(j.path).provider).to.deep.equal({ id: 'rkp2', created: true, previous: null });
  });

  it('removes an undone entry from the file', () => {
    const j = journal();
    j.clientCreated('0oa1');
    j.undone('client');
    expect(JSON.parse(readFileSync(j.path, 'utf8'))).to.not.have.property('client');
    expect(j.empty).to.equal(true);
  });
});

describe('the undo plan', () => {
  it('is empty for a journal that records nothing', () => {
    expect(undoPlan(data({}))).to.deep.equal([]);
  });

  it('undoes the provider, then the grant, then the app', () => {
    const plan = undoPlan(
      data({
        client: { status: 'created', id: '0oa1' },
        grant: { status: 'created', clientId: '0oa1', id: '0oaG' },
        provider: { id: 'rkp1', created: false, previous },
      }),
    );
    expect(plan).to.deep.equal([
      { kind: 'restore-provider', id: 'rkp1', previous, ourClientId: '0oa1' },
      { kind: 'revoke-grant', clientId: '0oa1', id: '0oaG' },
      { kind: 'delete-client', id: '0oa1' },
    ]);
  });

  it('deletes a provider the run created instead of restoring it', () => {
    expect(undoPlan(data({ provider: { id: 'rkp2', created: true, previous: null } }))).to.deep.equal([{ kind: 'delete-provider', id: 'rkp2' }]);
  });

  it('looks the app up by name and key id when its create answer was never recorded', () => {
    expect(undoPlan(data({ client: { status: 'pending' } }))).to.deep.equal([{ kind: 'find-clients', providerName: 'Risk Provider Example', kid: 'kid1' }]);
  });

  it('forgets a pending grant, which deleting the app removes', () => {
    expect(undoPlan(data({ grant: { status: 'pending', clientId: '0oa1' } }))).to.deep.equal([{ kind: 'forget-grant', clientId: '0oa1' }]);
  });

  it('restores without an app of its own when the app was never created', () => {
    const plan = undoPlan(data({ client: { status: 'pending' }, provider: { id: 'rkp1', created: false, previous } }));
    expect(plan[0]).to.deep.equal({ kind: 'restore-provider', id: 'rkp1', previous, ourClientId: undefined });
  });
});
