/**
 * The end of a run: the Tear down folder for what the journal says exists (restore the provider, revoke the
 * grant, deactivate and delete the app), each undo journaled as it happens, then `undoJournal` for whatever the
 * folder could not undo (a create whose answer was lost, a provider the run created, a failed step).
 */
import { FOLDERS, REQUESTS, type RequestName } from '../collection/collection.ts';
import { undoJournal, type CleanupReport } from '../org/cleanup.ts';
import type { OrgClient } from '../org/org-client.ts';
import type { Journal } from '../state/journal.ts';
import type { PhaseHooks } from './newman-phase.ts';
import type { OrgChecks } from './org-checks.ts';
import type { RetryPolicy, StepRunner } from './step-runner.ts';

/** Which Tear down requests the journal calls for, with the hooks that journal each undo and their retry rules. */
export function teardownPlan(run: StepRunner, journal: Journal, checks: OrgChecks): { steps: RequestName[]; hooks: PhaseHooks; policies: Partial<Record<RequestName, RetryPolicy>> } {
  const data = journal.data;
  const steps: RequestName[] = [];
  if (data.provider && !data.provider.created && run.env.previousProviderAction) steps.push(REQUESTS.restoreProvider);
  if (data.grant?.status === 'created') steps.push(REQUESTS.revokeGrant);
  if (data.client?.status === 'created') steps.push(REQUESTS.deactivateApp, REQUESTS.deleteApp);
  const hooks: PhaseHooks = {
    afterResponse({ name, status }) {
      if (name === REQUESTS.restoreProvider && status === 200) journal.update((j) => delete j.provider);
      if (name === REQUESTS.revokeGrant && status === 204) journal.update((j) => delete j.grant);
      if (name === REQUESTS.deleteApp && status === 204) journal.update((j) => delete j.client);
    },
  };
  const policies: Partial<Record<RequestName, RetryPolicy>> = {
    [REQUESTS.restoreProvider]: { kind: 'idempotent' },
    [REQUESTS.revokeGrant]: { kind: 'check', tookEffect: () => checks.grantGone() },
    [REQUESTS.deactivateApp]: { kind: 'idempotent' },
    [REQUESTS.deleteApp]: { kind: 'check', tookEffect: () => checks.clientGone() },
  };
  return { steps, hooks, policies };
}

/** Runs the Tear down folder for what the journal says exists, then undoes whatever is still recorded. */
export async function tearDown(run: StepRunner, journal: Journal, org: OrgClient, checks: OrgChecks): Promise<CleanupReport> {
  const { steps, hooks, policies } = teardownPlan(run, journal, checks);
  run.healthy = true;
  // All four steps (the usual case) go as one Newman run; otherwise only those the journal calls for.
  await run.folder(FOLDERS.tearDown, { hooks, policies, only: steps });
  // Whatever the folder could not undo (a pending create, a provider the run created, a failed step).
  return undoJournal(journal, org);
}
