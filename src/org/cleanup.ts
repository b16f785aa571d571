/**
 * Undoes, from a run's journal, whatever the run changed on the org: restores the provider exactly as it was
 * (or deletes the one the run created), revokes the grant, deactivates and deletes the service app. Safe to
 * run twice: what is already gone counts as done. It never overwrites a provider that someone else changed
 * after the run.
 */
import { PROVIDERS_PATH } from '../okta/ssf.ts';
import type { Journal } from '../state/journal.ts';
import { undoneEntry, undoPlan, type UndoKind, type UndoStep } from '../state/undo-plan.ts';
import type { OrgClient, OrgResponse } from './org-client.ts';
import type { HeaderBag } from './http-request.ts';

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
export function nextLink(headers: HeaderBag): string | undefined {
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

/** Undoes a journal against the org, step by step from its undo plan, updating the journal after each step. */
export async function undoJournal(journal: Journal, org: OrgClient, onAction: (action: CleanupAction) => void = () => {}): Promise<CleanupReport> {
  const actions: CleanupAction[] = [];
  const act = (action: CleanupAction): void => {
    actions.push(action);
    onAction(action);
  };
  // Each step on its own: an org that stops answering one step must not keep the others from being tried.
  for (const step of undoPlan(journal.data)) {
    try {
      if (await UNDO[step.kind](step as never, org, act)) journal.undone(undoneEntry(step));
    } catch (error) {
      act({ step: STEP_NAMES[step.kind], outcome: 'failed', detail: (error as Error).message });
    }
  }
  const complete = journal.empty;
  if (complete) journal.finish();
  return { actions, complete };
}

type Act = (action: CleanupAction) => void;
type StepOf<K extends UndoKind> = Extract<UndoStep, { kind: K }>;

/** The name a step has in a cleanup report. */
const STEP_NAMES: Record<UndoKind, string> = {
  'delete-provider': 'delete provider',
  'restore-provider': 'restore provider',
  'forget-provider': 'restore provider',
  'revoke-grant': 'revoke grant',
  'forget-grant': 'revoke grant',
  'delete-client': 'delete service app',
  'find-clients': 'delete service app',
  'delete-security-events-provider': 'delete security events provider',
  'find-security-events-providers': 'delete security events provider',
};

/** How each step is done against the org; true when its journal entry may go. */
const UNDO: { [K in UndoKind]: (step: StepOf<K>, org: OrgClient, act: Act) => Promise<boolean> } = {
  async 'delete-provider'({ id }, org, act) {
    const response = await org.request('DELETE', `/api/v1/risk/providers/${id}`);
    if (response.status === 204 || response.status === 404) {
      act({ step: 'delete provider', outcome: response.status === 204 ? 'done' : 'already gone', detail: `provider ${id} (created by the run)` });
      return true;
    }
    act({ step: 'delete provider', outcome: 'failed', detail: `provider ${id}: HTTP ${response.status}` });
    return false;
  },
  async 'restore-provider'({ id, previous, ourClientId }, org, act) {
    const current = await org.request<{ name: string; clientId: string; action: string }>('GET', `/api/v1/risk/providers/${id}`);
    if (current.status === 404) {
      act({ step: 'restore provider', outcome: 'already gone', detail: `provider ${id} no longer exists` });
      return true;
    }
    if (current.status !== 200) {
      act({ step: 'restore provider', outcome: 'failed', detail: `provider ${id}: HTTP ${current.status}` });
      return false;
    }
    if (current.body.name === previous.name && current.body.clientId === previous.clientId && current.body.action === previous.action) {
      act({ step: 'restore provider', outcome: 'already gone', detail: `provider ${id} already holds its previous settings` });
      return true;
    }
    if (current.body.clientId !== ourClientId && current.body.clientId !== previous.clientId && ourClientId !== undefined) {
      act({ step: 'restore provider', outcome: 'left alone', detail: `provider ${id} now points at ${current.body.clientId}, which is neither this run's app nor its previous client; not overwritten` });
      return true;
    }
    // Never restore a link to a client that is gone (the org would refuse it, and the journal could then
    // never be cleared): the provider gets its name and action back, unlinked, and the report says so.
    const linkGone = !isUnlinkedClient(previous.clientId) && previous.clientId !== ourClientId && (await org.request('GET', `/api/v1/apps/${previous.clientId}`)).status === 404;
    const restore = linkGone ? { ...previous, clientId: 'null' } : previous;
    const put = await org.request('PUT', `/api/v1/risk/providers/${id}`, restore);
    if (put.status !== 200) {
      act({ step: 'restore provider', outcome: 'failed', detail: `provider ${id}: HTTP ${put.status}` });
      return false;
    }
    act({
      step: 'restore provider',
      outcome: 'done',
      detail: linkGone
        ? `provider ${id} back to name "${previous.name}", action ${previous.action}, and left unlinked (clientId null): its previous client ${previous.clientId} no longer exists, so that link was not restored`
        : `provider ${id} back to name "${previous.name}", clientId ${previous.clientId}, action ${previous.action}`,
    });
    return true;
  },
  async 'forget-provider'() {
    return true;
  },
  async 'revoke-grant'({ clientId, id }, org, act) {
    const response = await org.request('DELETE', `/api/v1/apps/${clientId}/grants/${id}`);
    if (response.status === 204 || response.status === 404) {
      act({ step: 'revoke grant', outcome: response.status === 204 ? 'done' : 'already gone', detail: `grant ${id} on ${clientId}` });
      return true;
    }
    act({ step: 'revoke grant', outcome: 'failed', detail: `grant ${id}: HTTP ${response.status}` });
    return false;
  },
  async 'forget-grant'() {
    return true;
  },
  async 'delete-client'({ id }, org, act) {
    return deleteClients([id], org, act);
  },
  async 'find-clients'({ providerName, kid }, org, act) {
    const found = await findOurClients(org, providerName, kid);
    if (found.length === 0) act({ step: 'delete service app', outcome: 'already gone', detail: `no app named "${providerName}" holds this run's key ${kid}` });
    return deleteClients(found, org, act);
  },
  async 'delete-security-events-provider'({ id }, org, act) {
    return deleteSecurityEventsProviders([id], org, act);
  },
  async 'find-security-events-providers'({ issuer }, org, act) {
    const response = await org.request<Array<{ id?: unknown; settings?: { issuer?: unknown } }>>('GET', PROVIDERS_PATH);
    if (response.status !== 200 || !Array.isArray(response.body)) {
      act({ step: 'delete security events provider', outcome: 'failed', detail: `listing the security events providers: HTTP ${response.status}` });
      return false;
    }
    // The issuer is the run's own (it carries the run id), and Okta routes SETs by it: a match is this run's.
    const found = response.body.filter((p) => p.settings?.issuer === issuer && typeof p.id === 'string').map((p) => p.id as string);
    if (found.length === 0) act({ step: 'delete security events provider', outcome: 'already gone', detail: `no security events provider has this run's issuer ${issuer}` });
    return deleteSecurityEventsProviders(found, org, act);
  },
};

async function deleteSecurityEventsProviders(ids: string[], org: OrgClient, act: Act): Promise<boolean> {
  let done = true;
  for (const id of ids) {
    const response = await org.request('DELETE', `${PROVIDERS_PATH}/${encodeURIComponent(id)}`);
    if (response.status === 204 || response.status === 404) {
      act({ step: 'delete security events provider', outcome: response.status === 204 ? 'done' : 'already gone', detail: `security events provider ${id}` });
    } else {
      done = false;
      act({ step: 'delete security events provider', outcome: 'failed', detail: `security events provider ${id}: HTTP ${response.status}` });
    }
  }
  return done;
}

async function deleteClients(clientIds: string[], org: OrgClient, act: Act): Promise<boolean> {
  let done = true;
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
      done = false;
      act({ step: 'delete service app', outcome: 'failed', detail: `app ${clientId}: HTTP ${remove.status}` });
    }
  }
  return done;
}
