/**
 * The undo plan (src/state/undo-plan.ts) as teardown and `cleanup` read it: the step for each journal entry,
 * the order, what each step takes out of the journal, and a journal walked through its transitions and
 * undone step by step. The cases test/unit/undo-plan.test.ts covers are not repeated here.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { Journal, readJournal, type JournalData } from '../../src/state/journal.ts';
import { undoneEntry, undoPlan, type UndoStep } from '../../src/state/undo-plan.ts';
import { tmp } from '../integration/harness.ts';

const base = { orgUrl: 'https://dev-1.okta.com', runId: 'r1', pid: 1, startedAt: '2026-11-28T12:00:00.000Z', kid: 'kid1', providerName: 'Risk Provider Example' };
const previous = { name: 'Default', clientId: 'null', action: 'log_only' };

const data = (extra: Partial<JournalData>): JournalData => ({ tool: 'okta-risk-harness', version: 1, ...base, ...extra });
const kinds = (steps: UndoStep[]): string[] => steps.map((s) => s.kind);
const journal = (): Journal => Journal.begin(join(tmp('undo-steps'), 'org.json'), base);

describe('the undo plan, step by step', () => {
  it('forgets a provider journaled without settings to restore: nothing to put back on the org', () => {
    expect(undoPlan(data({ provider: { id: 'rkp1', created: false, previous: null } }))).to.deep.equal([{ kind: 'forget-provider', id: 'rkp1' }]);
  });

  it('deletes a provider the run created even when settings are journaled beside it', () => {
    expect(undoPlan(data({ provider: { id: 'rkp2', created: true, previous } }))).to.deep.equal([{ kind: 'delete-provider', id: 'rkp2' }]);
  });

  it('revokes a created grant on the app it was made for, not a later app', () => {
    const plan = undoPlan(data({ client: { status: 'created', id: '0oaLater' }, grant: { status: 'created', clientId: '0oaFirst', id: '0oaG' } }));
    expect(plan[0]).to.deep.equal({ kind: 'revoke-grant', clientId: '0oaFirst', id: '0oaG' });
  });

  it('revokes a created grant before it looks for an app whose answer was lost', () => {
    expect(kinds(undoPlan(data({ client: { status: 'pending' }, grant: { status: 'created', clientId: '0oa1', id: '0oaG' } })))).to.deep.equal(['revoke-grant', 'find-clients']);
  });

  it('puts the provider first even when only pending entries are beside it', () => {
    const plan = undoPlan(data({ client: { status: 'pending' }, grant: { status: 'pending', clientId: '0oa1' }, provider: { id: 'rkp2', created: true, previous: null } }));
    expect(kinds(plan)).to.deep.equal(['delete-provider', 'forget-grant', 'find-clients']);
  });

  it('looks for the app by the journal’s provider name and key id', () => {
    const plan = undoPlan({ ...data({ client: { status: 'pending' } }), providerName: 'Acme Risk', kid: 'kid-9' });
    expect(plan).to.deep.equal([{ kind: 'find-clients', providerName: 'Acme Risk', kid: 'kid-9' }]);
  });

  it('leaves the journal it reads as it was', () => {
    const journaled = data({ client: { status: 'created', id: '0oa1' }, grant: { status: 'created', clientId: '0oa1', id: '0oaG' }, provider: { id: 'rkp1', created: false, previous } });
    const copy = structuredClone(journaled);
    undoPlan(journaled);
    expect(journaled).to.deep.equal(copy);
  });
});

describe('what each undo step takes out of the journal', () => {
  const cases: Array<[UndoStep, 'provider' | 'grant' | 'client']> = [
    [{ kind: 'delete-provider', id: 'rkp2' }, 'provider'],
    [{ kind: 'restore-provider', id: 'rkp1', previous, ourClientId: undefined }, 'provider'],
    [{ kind: 'forget-provider', id: 'rkp1' }, 'provider'],
    [{ kind: 'revoke-grant', clientId: '0oa1', id: '0oaG' }, 'grant'],
    [{ kind: 'forget-grant', clientId: '0oa1' }, 'grant'],
    [{ kind: 'delete-client', id: '0oa1' }, 'client'],
    [{ kind: 'find-clients', providerName: 'Risk Provider Example', kid: 'kid1' }, 'client'],
  ];
  for (const [step, entry] of cases) {
    it(`${step.kind} takes out the ${entry} entry`, () => {
      expect(undoneEntry(step)).to.equal(entry);
    });
  }
});

describe('a journal through a run and its undoing', () => {
  /** The journal of a run that made an app and a grant and took the provider, as the transitions write it. */
  function fullRun(): Journal {
    const j = journal();
    j.clientPending();
    j.clientCreated('0oa1');
    j.grantPending();
    j.grantCreated('0oaG');
    j.providerTaken('rkp1', previous);
    return j;
  }

  it('plans the same steps from the file on disk as from the live journal', () => {
    const j = fullRun();
    expect(undoPlan(readJournal(j.path))).to.deep.equal(undoPlan(j.data));
  });

  it('plans the grant first once teardown has restored the provider', () => {
    const j = fullRun();
    j.undone(undoneEntry(undoPlan(j.data)[0]!));
    expect(kinds(undoPlan(readJournal(j.path)))).to.deep.equal(['revoke-grant', 'delete-client']);
  });

  it('leaves nothing to undo once every planned step is done', () => {
    const j = fullRun();
    for (const step of undoPlan(j.data)) j.undone(undoneEntry(step));
    expect([j.empty, undoPlan(readJournal(j.path))]).to.deep.equal([true, []]);
  });

  it('plans a look-up, not a delete, when the run stopped between sending the create and its answer', () => {
    const j = journal();
    j.clientPending();
    expect(undoPlan(readJournal(j.path))).to.deep.equal([{ kind: 'find-clients', providerName: 'Risk Provider Example', kid: 'kid1' }]);
  });

  it('plans a delete of the provider the run had to make, not a restore', () => {
    const j = journal();
    j.clientCreated('0oa1');
    j.providerCreated('rkp9');
    expect(kinds(undoPlan(readJournal(j.path)))).to.deep.equal(['delete-provider', 'delete-client']);
  });
});
