/**
 * The end of a run: the Tear down folder for what the journal says exists (restore the provider, revoke the
 * grant, deactivate and delete the app), each undo journaled as it happens, then `undoJournal` for whatever the
 * folder could not undo (a create whose answer was lost, a provider the run created, a failed step).
 */
import { FOLDERS, REQUESTS, type RequestName } from '../collection/collection.ts';
import { undoJournal, type CleanupReport } from '../org/cleanup.ts';
import { undoPlan, type UndoKind } from '../state/undo-plan.ts';
import type { PhaseHooks } from './newman-phase.ts';
import type { OrgChecks } from './org-checks.ts';
import type { RunContext } from './run-context.ts';
import type { RetryPolicy, StepRunner } from './step-runner.ts';

/** The undo steps the Tear down folder does, as its requests; the others are left to `undoJournal`. */
const COLLECTION_UNDO: Partial<Record<UndoKind, readonly RequestName[]>> = {
  'restore-provider': [REQUESTS.restoreProvider],
  'revoke-grant': [REQUESTS.revokeGrant],
  'delete-client': [REQUESTS.deactivateApp, REQUESTS.deleteApp],
};

/** Which Tear down requests the journal calls for, with the hooks that journal each undo and their retry rules. */
export function teardownPlan(ctx: RunContext, checks: OrgChecks): { steps: RequestName[]; hooks: PhaseHooks; policies: Partial<Record<RequestName, RetryPolicy>> } {
  const { journal } = ctx;
  const steps = undoPlan(journal.data).flatMap((step): RequestName[] => {
    // The collection restores from the settings its list script saved; without them it cannot.
    if (step.kind === 'restore-provider') return ctx.env.get('previousProviderAction') ? [...(COLLECTION_UNDO[step.kind] ?? [])] : [];
    return [...(COLLECTION_UNDO[step.kind] ?? [])];
  });
  const hooks: PhaseHooks = {
    afterResponse({ name, status }) {
      if (name === REQUESTS.restoreProvider && status === 200) journal.undone('provider');
      if (name === REQUESTS.revokeGrant && status === 204) journal.undone('grant');
      if (name === REQUESTS.deleteApp && status === 204) journal.undone('client');
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
export async function tearDown(ctx: RunContext, run: StepRunner, checks: OrgChecks): Promise<CleanupReport> {
  const { steps, hooks, policies } = teardownPlan(ctx, checks);
  run.beginFinalPhase();
  // All four steps (the usual case) go as one Newman run; otherwise only those the journal calls for.
  await run.folder(FOLDERS.tearDown, { hooks, policies, only: steps });
  // Whatever the folder could not undo (a pending create, a provider the run created, a failed step).
  return undoJournal(ctx.journal, ctx.org);
}
