/**
 * Verify's phases, in the guide's order: the collection's folders, with what the runner does at each
 * boundary (create the run's provider, mint the client assertion, pick the events batch, plan the teardown)
 * and around each request (journal every change before it is made, make the access token a secret the
 * moment it arrives). `runPhases` walks them.
 */
import { FOLDERS, REQUESTS, type RequestName } from '../collection/collection.ts';
import { HarnessError } from '../errors.ts';
import { batchRiskEvents, countSignals, type RiskEvent } from '../events/risk-events.ts';
import { describeOktaError } from '../org/okta-error.ts';
import { RISK_EVENTS_PATH } from '../okta/risk-events.ts';
import { bindAppToDpop, type DpopSession } from './dpop-session.ts';
import type { PhaseHooks } from './newman-phase.ts';
import type { OrgChecks } from './org-checks.ts';
import { RUN_REQUESTS, SKIP, type Phase, type PhaseId } from './phases.ts';
import type { ProviderChoice } from './provider-guard.ts';
import type { RunContext } from './run-context.ts';
import type { RetryPolicy, StepRunner } from './step-runner.ts';
import { teardownParts, teardownPlan } from './teardown.ts';

/** Renew the access token when it has less than this left before the next events call. */
const TOKEN_REFRESH_MARGIN_MS = 120_000;
/** Okta's access tokens for a service app live an hour. */
const TOKEN_LIFETIME_MS = 3_600_000;

export interface VerifyPhasesOptions {
  ctx: RunContext;
  runner: StepRunner;
  checks: OrgChecks;
  choice: ProviderChoice;
  events: RiskEvent[];
  /** DPoP for the partner requests: on with `--dpop`, or switched on when the token endpoint asks. */
  dpop: DpopSession;
  /** Called at each boundary inside the events phase (one per batch after the first). */
  onPhase(id: PhaseId): Promise<void>;
  /** With `keep` against an org: write what Postman needs to go on, instead of tearing down. */
  keepForPostman(): Promise<void>;
  /** Set when the teardown phase starts for real (not kept): verify then undoes what is still journaled. */
  tornDown(): void;
}

export function verifyPhases(options: VerifyPhasesOptions): Phase[] {
  const { ctx, runner, checks, choice, events, dpop } = options;
  const { env, journal, settings } = ctx;
  const batches = batchRiskEvents(events);
  let tokenIssuedAt = 0;
  let tokenExpiresAt = 0;

  // A token request of a DPoP-bound app carries a proof of its own (single-use, like the assertion).
  const mintForToken = async (): Promise<void> => {
    await ctx.mintAssertion();
    await dpop.forTokenRequest(env);
  };
  // Each events attempt of a DPoP-bound token needs its own proof, with `ath` of the token it carries.
  const eventsProof = async (): Promise<boolean> => (await dpop.forResourceRequest(env, 'POST', RISK_EVENTS_PATH), true);
  // A lost token answer burned the assertion's jti (and the proof's): the retry gets fresh ones.
  const tokenPolicy: RetryPolicy = { kind: 'check', tookEffect: async () => (await mintForToken(), false) };
  const eventsPolicy = (expectedTotal: number): RetryPolicy => ({
    kind: 'check',
    tookEffect: () => checks.signalsLogged(env.get('providerId'), env.get('runStartedAt'), expectedTotal),
  });
  const tokenHooks: PhaseHooks = {
    beforeRequest(name) {
      if (name === REQUESTS.getAccessToken) tokenIssuedAt = ctx.clock.now();
    },
    afterResponse({ name, status, headers, body }) {
      if (name !== REQUESTS.getAccessToken) return;
      // The access token becomes a secret the moment it arrives, before anything could print it.
      ctx.secret(parseField(body, 'access_token'));
      // The org's DPoP nonce (or its demand for DPoP) is read from the same answer.
      dpop.noteTokenAnswer(status, headers, body);
      if (status === 200) tokenExpiresAt = tokenIssuedAt + TOKEN_LIFETIME_MS;
    },
  };

  /** Several batches: one events call each, a boundary before each, the token renewed when it nears expiry. */
  const sendBatches = async (): Promise<void> => {
    let delivered = 0;
    for (const [i, batch] of batches.entries()) {
      if (i > 0) {
        await options.onPhase('send-risk-events');
        if (ctx.aborted || !runner.healthy) return;
      }
      const size = countSignals(batch);
      const ok = await runner.request(REQUESTS.sendRiskEvents, undefined, eventsPolicy(delivered + size), undefined, async () => {
        // After any rate-limit wait: renew a token that is about to expire, then send this batch.
        if (tokenExpiresAt - ctx.clock.now() < TOKEN_REFRESH_MARGIN_MS) {
          await mintForToken();
          if (!(await runner.request(REQUESTS.getAccessToken, tokenHooks, tokenPolicy))) return false;
        }
        env.set('riskEvents', JSON.stringify(batch));
        return eventsProof();
      });
      if (!ok) return;
      delivered += size;
    }
  };

  const teardown = teardownParts(ctx, checks);

  return [
    {
      id: 'create-service-app',
      folder: FOLDERS.createServiceApp,
      hooks: {
        beforeRequest(name) {
          if (name === REQUESTS.createClient) journal.clientPending();
          if (name === REQUESTS.grantScope) journal.grantPending();
        },
        afterResponse({ name, status, body }) {
          if (name === REQUESTS.createClient && status === 201) checks.recordClient(parseField(body, 'client_id'));
          if (name === REQUESTS.grantScope && status === 201) checks.recordGrant(parseField(body, 'id'));
        },
      },
      policies: {
        [REQUESTS.createClient]: { kind: 'check', tookEffect: () => checks.clientExists() },
        [REQUESTS.listClients]: { kind: 'idempotent' },
        [REQUESTS.grantScope]: { kind: 'check', tookEffect: () => checks.grantExists() },
      },
    },
    {
      id: 'update-provider',
      folder: FOLDERS.updateProvider,
      async before() {
        if (choice.kind === 'create') env.set('providerId', await createProvider(ctx));
      },
      hooks: {
        afterResponse({ name, status, body }) {
          // The provider's settings go into the journal before the PUT that changes them is sent.
          if (name === REQUESTS.listProviders && status === 200 && !journal.data.provider) checks.recordProvider(body);
        },
      },
      policies: { [REQUESTS.listProviders]: { kind: 'idempotent' }, [REQUESTS.updateProvider]: { kind: 'idempotent' } },
    },
    {
      id: 'test-integration',
      folder: FOLDERS.testIntegration,
      requests: [REQUESTS.getAccessToken],
      async before() {
        // With --dpop the run's app is bound first, the way Okta documents it (GET, then PUT it back).
        if (dpop.enabled && env.get('clientId')) await bindAppToDpop(ctx.org, env.get('clientId'));
        await mintForToken();
      },
      hooks: tokenHooks,
      policies: { [REQUESTS.getAccessToken]: tokenPolicy },
    },
    {
      id: 'send-risk-events',
      folder: FOLDERS.testIntegration,
      requests: [REQUESTS.sendRiskEvents],
      async before() {
        if (batches.length !== 1) return { kind: 'own', run: sendBatches };
        // One call's worth of events: sent in the Newman run that got the token, as the folder reads; with
        // DPoP its proof is minted here, Newman paused, once the token it carries (`ath`) is known.
        env.set('riskEvents', JSON.stringify(batches[0]));
        await eventsProof();
        return RUN_REQUESTS;
      },
      policies: { [REQUESTS.sendRiskEvents]: eventsPolicy(countSignals(events)) },
      prepare: { [REQUESTS.sendRiskEvents]: eventsProof },
    },
    {
      id: 'confirm-system-log',
      folder: FOLDERS.confirmSystemLog,
      policies: { [REQUESTS.findRiskSignal]: { kind: 'idempotent' } },
    },
    {
      id: 'tear-down',
      folder: FOLDERS.tearDown,
      final: true,
      async before() {
        if (settings.keep && settings.target.kind === 'org' && !ctx.aborted) {
          await options.keepForPostman();
          return SKIP;
        }
        options.tornDown();
        const steps: readonly RequestName[] = teardownPlan(ctx);
        // All four steps (the usual case) go on in the Newman run; otherwise only those the journal calls for.
        return steps.length === teardown.requests.length ? RUN_REQUESTS : steps.length === 0 ? SKIP : { kind: 'only', requests: steps };
      },
      hooks: teardown.hooks,
      policies: teardown.policies,
    },
  ];
}

function parseField(body: string, field: string): string | undefined {
  try {
    const value = (JSON.parse(body) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

async function createProvider(ctx: RunContext): Promise<string> {
  const { settings } = ctx;
  const response = await ctx.org.request<{ id?: string }>('POST', '/api/v1/risk/providers', {
    name: settings.providerName,
    clientId: ctx.env.get('clientId'),
    action: settings.action,
  });
  if (response.status !== 201 || typeof response.body?.id !== 'string') {
    // Okta's cause says what to change (a name another provider took meanwhile, a client it refuses).
    const cause = describeOktaError(response.body);
    throw new HarnessError('ERR_RUN_BROKEN', `Creating a risk provider for the run failed with HTTP ${response.status}${cause ? `: ${cause}` : ''}.`, {
      fix: 'fix what Okta names (for a name already taken, pass another --provider-name), then run verify again.',
    });
  }
  const id = response.body.id;
  ctx.journal.providerCreated(id);
  return id;
}
