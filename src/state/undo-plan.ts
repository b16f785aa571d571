/**
 * What undoing a run takes, read from its journal: one plan for both ends of a run. Teardown runs the steps
 * the shared collection's Tear down folder can do (restore, revoke, deactivate and delete); `cleanup`
 * (`undoJournal`) runs whatever is left, after a teardown or for an interrupted run. The order is the
 * reverse of the run's: the provider first (it points at the app), then the grant, then the app.
 */
import type { JournalData, ProviderSettings } from './journal.ts';

export type UndoStep =
  /** The run made this provider (no provider was free): delete it. */
  | { kind: 'delete-provider'; id: string }
  /** The run changed this provider: put `previous` back, unless someone changed it since. */
  | { kind: 'restore-provider'; id: string; previous: ProviderSettings; ourClientId: string | undefined }
  /** Journaled without settings to restore: nothing to do on the org. */
  | { kind: 'forget-provider'; id: string }
  /** The grant the run made. */
  | { kind: 'revoke-grant'; clientId: string; id: string }
  /** The grant call was sent but its answer never recorded: deleting the app removes any grant it made. */
  | { kind: 'forget-grant'; clientId: string }
  /** The app the run registered: deactivate, then delete. */
  | { kind: 'delete-client'; id: string }
  /** The create call was sent but its answer never recorded: find apps with the run's name and key id. */
  | { kind: 'find-clients'; providerName: string; kid: string }
  /** The SSF flow's Security Events Provider: delete it. */
  | { kind: 'delete-security-events-provider'; id: string }
  /** Its create call was sent but the answer never recorded: find providers with the run's issuer. */
  | { kind: 'find-security-events-providers'; issuer: string };

export type UndoKind = UndoStep['kind'];

/** The steps that undo what `data` records, in the order they must run. Empty when nothing is left. */
export function undoPlan(data: Readonly<JournalData>): UndoStep[] {
  const steps: UndoStep[] = [];
  const ourClientId = data.client?.status === 'created' ? data.client.id : undefined;
  if (data.provider) {
    const { id, created, previous } = data.provider;
    if (created) steps.push({ kind: 'delete-provider', id });
    else if (previous) steps.push({ kind: 'restore-provider', id, previous, ourClientId });
    else steps.push({ kind: 'forget-provider', id });
  }
  if (data.grant?.status === 'created') steps.push({ kind: 'revoke-grant', clientId: data.grant.clientId, id: data.grant.id });
  else if (data.grant) steps.push({ kind: 'forget-grant', clientId: data.grant.clientId });
  if (data.client?.status === 'created') steps.push({ kind: 'delete-client', id: data.client.id });
  else if (data.client) steps.push({ kind: 'find-clients', providerName: data.providerName, kid: data.kid });
  const sep = data.securityEventsProvider;
  if (sep?.status === 'created') steps.push({ kind: 'delete-security-events-provider', id: sep.id });
  else if (sep) steps.push({ kind: 'find-security-events-providers', issuer: sep.issuer });
  return steps;
}

/** What each step changes in the journal once done. */
export function undoneEntry(step: UndoStep): 'provider' | 'grant' | 'client' | 'securityEventsProvider' {
  switch (step.kind) {
    case 'delete-provider':
    case 'restore-provider':
    case 'forget-provider':
      return 'provider';
    case 'revoke-grant':
    case 'forget-grant':
      return 'grant';
    case 'delete-client':
    case 'find-clients':
      return 'client';
    case 'delete-security-events-provider':
    case 'find-security-events-providers':
      return 'securityEventsProvider';
  }
}
