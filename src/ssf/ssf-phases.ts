/**
 * The SSF flow's phases, in the collection's order: register and activate the provider (journaled before its
 * create is sent), push the run's SETs (minted with jose, one Newman request each), find them in the System
 * Log, and delete the provider. `runPhases` walks them, the same loop as the Risk API flow's.
 */
import { SSF_FOLDERS, SSF_REQUESTS, type SsfFolderName, type SsfRequestName, type SsfVariableName } from '../collection/ssf-collection.ts';
import { PROVIDERS_PATH } from '../okta/ssf.ts';
import type { PhaseHooks } from '../run/newman-phase.ts';
import { RUN_REQUESTS, SKIP, type Phase } from '../run/phases.ts';
import type { RunContext } from '../run/run-context.ts';
import type { StepRunner } from '../run/step-runner.ts';
import { mintSecurityEventToken, type SetEvents } from './mint-security-event-token.ts';

/** The phase boundaries of `verify --flow ssf`, in order; `onPhase` is called with each. */
export const SSF_PHASE_IDS = ['register-provider', 'push-security-event-tokens', 'confirm-system-log', 'tear-down'] as const;
export type SsfPhaseId = (typeof SSF_PHASE_IDS)[number];

/**
 * A SET is sent again as it is (same `jti`: Okta ignores a repeated one, so it cannot count twice) while it is
 * this young. Past it, after a lost answer, it is not sent again: the org's replay window is undocumented.
 */
export const SET_RESEND_WINDOW_MS = 60_000;

export interface SsfPhasesOptions {
  ctx: RunContext<SsfVariableName>;
  runner: StepRunner<SsfFolderName, SsfRequestName>;
  /** The run's issuer (unique to it): every SET's `iss`, and how a provider whose create answer was lost is found. */
  issuer: string;
  /** The claims of each SET the run pushes, in order. */
  events: readonly SetEvents[];
  /** Called at each boundary inside the push phase (one per SET after the first). */
  onPhase(id: SsfPhaseId): Promise<void>;
  /** Notes for the user (stderr). */
  log(line: string): void;
}

type SsfPhase = Phase<SsfPhaseId, SsfFolderName, SsfRequestName>;

export function ssfPhases(options: SsfPhasesOptions): SsfPhase[] {
  const { ctx, runner, issuer, events } = options;
  const { env, journal, org, keys } = ctx;

  const providerId = (): string | undefined => {
    const entry = journal.data.securityEventsProvider;
    return entry?.status === 'created' ? entry.id : undefined;
  };
  /** After a lost create answer: the provider with the run's issuer, if the org made it. */
  const findOurProvider = async (): Promise<boolean> => {
    const listed = await org.request<Array<{ id?: unknown; settings?: { issuer?: unknown } }>>('GET', PROVIDERS_PATH);
    if (listed.status !== 200 || !Array.isArray(listed.body)) throw new Error(`listing providers: HTTP ${listed.status}`);
    const ours = listed.body.find((p) => p.settings?.issuer === issuer && typeof p.id === 'string');
    if (!ours) return false;
    journal.securityEventsProviderCreated(ours.id as string);
    env.set('providerId', ours.id as string);
    return true;
  };
  const providerGone = async (): Promise<boolean> => {
    const id = providerId();
    if (!id) return true;
    const response = await org.request('GET', `${PROVIDERS_PATH}/${encodeURIComponent(id)}`);
    if (response.status === 404) return true;
    if (response.status === 200) return false;
    throw new Error(`HTTP ${response.status}`);
  };

  /** One SET a Newman request, a boundary before each after the first; a SET is minted right before it goes. */
  const pushSets = async (): Promise<void> => {
    try {
      for (const [index, claims] of events.entries()) {
        if (index > 0) {
          await options.onPhase('push-security-event-tokens');
          if (ctx.aborted || !runner.healthy) return;
        }
        let minted: { at: number } | undefined;
        let onlyRateLimited = true;
        const hooks: PhaseHooks = {
          afterResponse({ status }) {
            if (status !== 429) onlyRateLimited = false;
            if (status === 204) options.log('note: the org answered 204 No Content to a SET push, where Okta documents 202 Accepted (taken as accepted)\n');
          },
        };
        const ok = await runner.request(
          SSF_REQUESTS.pushSet,
          hooks,
          // A resend carries the same SET: the org ignores a jti it has seen, so nothing is counted twice.
          { kind: 'idempotent' },
          undefined,
          async () => {
            if (minted && ctx.clock.now() - minted.at <= SET_RESEND_WINDOW_MS) return true;
            // Too old to resend as it is: a new jti is safe only when every earlier attempt was refused with a 429.
            if (minted && !onlyRateLimited) return false;
            const set = await mintSecurityEventToken({
              issuer,
              orgUrl: ctx.orgUrl,
              privateJwk: keys.privateJwk,
              kid: keys.kid,
              events: claims,
              currentDate: new Date(ctx.clock.now()),
              jti: `${ctx.runId}-${index + 1}-${Math.random().toString(36).slice(2, 10)}`,
            });
            ctx.secret(set.token);
            minted = { at: ctx.clock.now() };
            env.set('securityEventToken', set.token);
            return true;
          },
        );
        if (!ok) return;
      }
    } finally {
      // No SET is left in the environment once pushed: whoever holds an unsent one could push it.
      env.set('securityEventToken', '');
    }
  };

  return [
    {
      id: 'register-provider',
      folder: SSF_FOLDERS.registerProvider,
      hooks: {
        beforeRequest(name) {
          if (name === SSF_REQUESTS.createProvider) journal.securityEventsProviderPending(issuer);
        },
        afterResponse({ name, status, body }) {
          const id = name === SSF_REQUESTS.createProvider && status === 200 ? parseId(body) : undefined;
          if (id) journal.securityEventsProviderCreated(id);
        },
      },
      policies: {
        [SSF_REQUESTS.createProvider]: { kind: 'check', tookEffect: findOurProvider },
        [SSF_REQUESTS.listProviders]: { kind: 'idempotent' },
        [SSF_REQUESTS.activateProvider]: { kind: 'idempotent' },
      },
    },
    {
      id: 'push-security-event-tokens',
      folder: SSF_FOLDERS.pushSets,
      // Each SET needs its own Newman request (the folder holds one), minted right before it is sent.
      before: async () => ({ kind: 'own', run: pushSets }),
    },
    {
      id: 'confirm-system-log',
      folder: SSF_FOLDERS.confirmSystemLog,
      policies: { [SSF_REQUESTS.findEvents]: { kind: 'idempotent' } },
    },
    {
      id: 'tear-down',
      folder: SSF_FOLDERS.tearDown,
      final: true,
      // Nothing to delete when the provider was never made (or its create answer is still unknown: the
      // journal's undo finds it by the run's issuer).
      before: async () => (providerId() === undefined ? SKIP : RUN_REQUESTS),
      hooks: {
        afterResponse({ name, status }) {
          if (name === SSF_REQUESTS.deleteProvider && (status === 204 || status === 404)) journal.undone('securityEventsProvider');
        },
      },
      policies: { [SSF_REQUESTS.deleteProvider]: { kind: 'check', tookEffect: providerGone } },
    },
  ];
}

function parseId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
