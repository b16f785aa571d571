/**
 * The end of a run: the Tear down folder for what the journal says exists (restore the provider, revoke the
 * grant, deactivate and delete the app), each undo journaled as it happens; verify then runs `undoJournal`
 * for whatever the folder could not undo (a create whose answer was lost, a provider the run created, a
 * failed step).
 */
import { FOLDER_REQUESTS, FOLDERS, REQUESTS, type RequestName } from '../collection/collection.ts';
import { undoPlan, type UndoKind } from '../state/undo-plan.ts';
import type { PhaseHooks } from './newman-phase.ts';
import type { OrgChecks } from './org-checks.ts';
import type { RunContext } from './run-context.ts';
import type { RetryPolicy } from './step-runner.ts';

/** The undo steps the Tear down folder does, as its requests; the others are left to `undoJournal`. */
const COLLECTION_UNDO: Partial<Record<UndoKind, readonly RequestName[]>> = {
  'restore-provider': [REQUESTS.restoreProvider],
  'revoke-grant': [REQUESTS.revokeGrant],
  'delete-client': [REQUESTS.deactivateApp, REQUESTS.deleteApp],
};

/** Which Tear down requests the journal calls for, in collection order. */
export function teardownPlan(ctx: RunContext): RequestName[] {
  return undoPlan(ctx.journal.data).flatMap((step): RequestName[] => {
    // The collection restores from the settings its list script saved; without them it cannot.
    if (step.kind === 'restore-provider' && !ctx.env.get('previousProviderAction')) return [];
    return [...(COLLECTION_UNDO[step.kind] ?? [])];
  });
}

/** The Tear down folder's requests, the hooks that journal each undo, and their retry rules. */
export function teardownParts(ctx: RunContext, checks: OrgChecks): { requests: readonly RequestName[]; hooks: PhaseHooks; policies: Partial<Record<RequestName, RetryPolicy>> } {
  const { journal } = ctx;
  return {
    requests: FOLDER_REQUESTS[FOLDERS.tearDown],
    hooks: {
      afterResponse({ name, status }) {
        if (name === REQUESTS.restoreProvider && status === 200) journal.undone('provider');
        if (name === REQUESTS.revokeGrant && status === 204) journal.undone('grant');
        if (name === REQUESTS.deleteApp && status === 204) journal.undone('client');
      },
    },
    policies: {
      [REQUESTS.restoreProvider]: { kind: 'idempotent' },
      [REQUESTS.revokeGrant]: { kind: 'check', tookEffect: () => checks.grantGone() },
      [REQUESTS.deactivateApp]: { kind: 'idempotent' },
      [REQUESTS.deleteApp]: { kind: 'check', tookEffect: () => checks.clientGone() },
    },
  };
}
