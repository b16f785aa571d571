/**
 * Undoes, from a run's journal, whatever the run changed on the org: restores the provider exactly as it was
 * (or deletes the one the run created), revokes the grant, deactivates and deletes the service app. Safe to
 * run twice: what is already gone counts as done. It never overwrites a provider that someone else changed
 * after the run.
 */
import type { Journal } from '../state/journal.ts';
import type { OrgClient, OrgResponse } from './org-client.ts';

export type CleanupOutcome = 'done' | 'already gone' | 'left alone' | 'failed';

export interface CleanupAction {
  step: string;
  outcome: CleanupOutcome;
  detail: string;
}

export interface CleanupReport {
  actions: CleanupAction[];
  /** True when everything the journal recorded is undone (the journal file is then removed). */
  complete: boolean;
}

interface ClientListing {
  client_id: string;
  client_name: string;
  jwks?: { keys?: Array<{ kid?: string | null }> };
}

/** Okta's marker for "no client linked" is the string "null". */
function isUnlinkedClient(clientId: string | null | undefined): boolean {
  return clientId === null || clientId === undefined || clientId === '' || clientId === 'null';
}

/** The path and query of a `Link: <…>; rel="next"` header, if there is one. */
export function nextLink(headers: Headers): string | undefined {
  const next = (headers.get('link') ?? '').split(/,\s*(?=<)/).find((l) => /rel="next"/.test(l));
  if (!next) return undefined;
  const url = new URL(next.slice(next.indexOf('<') + 1, next.indexOf('>')));
  return url.pathname + url.search;
}

async function findOurClients(org: OrgClient, providerName: string, kid: string): Promise<string[]> {
  const found: string[] = [];
  let path: string | undefined = `/oauth2/v1/clients?limit=200&q=${encodeURIComponent(providerName)}`;
  while (path) {
    const response: OrgResponse<ClientListing[]> = await org.request<ClientListing[]>('GET', path);
    if (response.status !== 200 || !Array.isArray(response.body)) break;
    for (const c of response.body) {
      if (c.jwks?.keys?.some((k) => k.kid === kid)) found.push(c.client_id);
    }
    path = nextLink(response.headers);
  }
  return found;
}

/** Undoes a journal against the org, updating the journal after each step. */
export async function undoJournal(journal: Journal, org: OrgClient, onAction: (action: CleanupAction) => void = () => {}): Promise<CleanupReport> {
  const actions: CleanupAction[] = [];
  const act = (action: CleanupAction): void => {
    actions.push(action);
    onAction(action);
  };
  const data = journal.data;
  const ourClientId = data.client?.status === 'created' ? data.client.id : undefined;

  // Each step on its own: an org that stops answering one step must not keep the others from being tried.
  const attempt = async (step: string, undo: () => Promise<void>): Promise<void> => {
    try {
      await undo();
    } catch (error) {
      act({ step, outcome: 'failed', detail: (error as Error).message });
    }
  };
  await attempt('restore provider', async () => {
    if (data.provider) {
      const { id, created, previous } = data.provider;
      if (created) {
        const response = await org.request('DELETE', `/api/v1/risk/providers/${id}`);
        if (response.status === 204 || response.status === 404) {
          act({ step: 'delete provider', outcome: response.status === 204 ? 'done' : 'already gone', detail: `provider ${id} (created by the run)` });
          journal.update((j) => delete j.provider);
        } else act({ step: 'delete provider', outcome: 'failed', detail: `provider ${id}: HTTP ${response.status}` });
      } else if (previous) {
        const current = await org.request<{ name: string; clientId: string; action: string }>('GET', `/api/v1/risk/providers/${id}`);
        if (current.status === 404) {
          act({ step: 'restore provider', outcome: 'already gone', detail: `provider ${id} no longer exists` });
          journal.update((j) => delete j.provider);
        } else if (current.status !== 200) {
          act({ step: 'restore provider', outcome: 'failed', detail: `provider ${id}: HTTP ${current.status}` });
        } else if (current.body.name === previous.name && current.body.clientId === previous.clientId && current.body.action === previous.action) {
          act({ step: 'restore provider', outcome: 'already gone', detail: `provider ${id} already holds its previous settings` });
          journal.update((j) => delete j.provider);
        } else if (current.body.clientId !== ourClientId && current.body.clientId !== previous.clientId && ourClientId !== undefined) {
          act({ step: 'restore provider', outcome: 'left alone', detail: `provider ${id} now points at ${current.body.clientId}, which is neither this run's app nor its previous client; not overwritten` });
          journal.update((j) => delete j.provider);
        } else {
          // Never restore a link to a client that is gone (the org would refuse it, and the journal could then
          // never be cleared): the provider gets its name and action back, unlinked, and the report says so.
          const linkGone = !isUnlinkedClient(previous.clientId) && previous.clientId !== ourClientId && (await org.request('GET', `/api/v1/apps/${previous.clientId}`)).status === 404;
          const restore = linkGone ? { ...previous, clientId: 'null' } : previous;
          const put = await org.request('PUT', `/api/v1/risk/providers/${id}`, restore);
          if (put.status === 200) {
            act({
              step: 'restore provider',
              outcome: 'done',
              detail: linkGone
                ? `provider ${id} back to name "${previous.name}", action ${previous.action}, and left unlinked (clientId null): its previous client ${previous.clientId} no longer exists, so that link was not restored`
                : `provider ${id} back to name "${previous.name}", clientId ${previous.clientId}, action ${previous.action}`,
            });
            journal.update((j) => delete j.provider);
          } else act({ step: 'restore provider', outcome: 'failed', detail: `provider ${id}: HTTP ${put.status}` });
        }
      } else {
        journal.update((j) => delete j.provider);
      }
    }
  });
  await attempt('revoke grant', async () => {
    if (data.grant?.status === 'created') {
      const { clientId, id } = data.grant;
      const response = await org.request('DELETE', `/api/v1/apps/${clientId}/grants/${id}`);
      if (response.status === 204 || response.status === 404) {
        act({ step: 'revoke grant', outcome: response.status === 204 ? 'done' : 'already gone', detail: `grant ${id} on ${clientId}` });
        journal.update((j) => delete j.grant);
      } else act({ step: 'revoke grant', outcome: 'failed', detail: `grant ${id}: HTTP ${response.status}` });
    } else if (data.grant) {
      // The grant call was sent but its answer never recorded; deleting the app below removes any grant it made.
      journal.update((j) => delete j.grant);
    }
  });
  await attempt('delete service app', async () => {
    const clientIds = data.client?.status === 'created' ? [data.client.id] : data.client ? await findOurClients(org, data.providerName, data.kid) : [];
    if (data.client?.status === 'pending' && clientIds.length === 0) {
      act({ step: 'delete service app', outcome: 'already gone', detail: `no app named "${data.providerName}" holds this run's key ${data.kid}` });
    }
    let clientsDone = true;
    for (const clientId of clientIds) {
      // Deactivating twice changes nothing, so it is retried like a GET.
      const deactivate = await org.request('POST', `/api/v1/apps/${clientId}/lifecycle/deactivate`, undefined, { idempotent: true });
      if (deactivate.status === 404) {
        act({ step: 'delete service app', outcome: 'already gone', detail: `app ${clientId}` });
        continue;
      }
      const remove = await org.request('DELETE', `/api/v1/apps/${clientId}`);
      if (remove.status === 204 || remove.status === 404) {
        act({ step: 'delete service app', outcome: remove.status === 204 ? 'done' : 'already gone', detail: `app ${clientId} deactivated and deleted` });
      } else {
        clientsDone = false;
        act({ step: 'delete service app', outcome: 'failed', detail: `app ${clientId}: HTTP ${remove.status}` });
      }
    }
    if (data.client && clientsDone) journal.update((j) => delete j.client);
  });

  const complete = journal.empty;
  if (complete) journal.finish();
  return { actions, complete };
}
