/**
 * The SSF flow's phases, in the collection's order: register and activate the provider (journaled before its
 * create is sent), push the run's SETs (minted with jose, each right before it goes, all through the
 * collection's one push request), find them in the System Log, and delete the provider. `runPhases` walks
 * them, the same loop as the Risk API flow's; while all goes well they are one Newman run.
 */
import { SSF_COLLECTION_FILE, SSF_FOLDERS, SSF_REQUESTS, type SsfFolderName, type SsfRequestName, type SsfVariableName } from '../collection/ssf-collection.ts';
import { HarnessError } from '../errors.ts';
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

  // Every SET goes through the collection's one push request, which goes again while `setsLeft` is above 0:
  // in the pass, Newman repeats it (its script's setNextRequest) and the runner mints the next SET at the pause
  // before each push; once a push needs another attempt, the push goes a request at a time and the runner
  // repeats it (`again`). A SET is minted right before it goes, and a resend carries the same SET.
  let next = 0;
  /**
   * The SET that was sent (or is about to be) and not yet accepted: what a retry resends. `awaiting`: its last
   * attempt was sent and not answered (yet, or ever: a lost answer, which the org may have taken).
   */
  let inFlight: { index: number; token: string; at: number; onlyRateLimited: boolean; awaiting: boolean } | undefined;
  /** Set once the push goes a request at a time: the collection must not repeat it inside that run. */
  let alone = false;
  /** The boundary before SET `next` was crossed already (by `again`, before its run). */
  let crossed = false;

  const mint = async (index: number): Promise<string> => {
    const set = await mintSecurityEventToken({
      issuer,
      orgUrl: ctx.orgUrl,
      privateJwk: keys.privateJwk,
      kid: keys.kid,
      events: events[index]!,
      currentDate: new Date(ctx.clock.now()),
      jti: `${ctx.runId}-${index + 1}-${Math.random().toString(36).slice(2, 10)}`,
    });
    ctx.secret(set.token);
    return set.token;
  };
  const carry = (token: string): void => {
    env.set('securityEventToken', token);
    env.set('setsLeft', alone ? '0' : String(events.length - next));
  };
  /** The boundary before each SET after the first (tests interrupt runs here): false after Ctrl-C or a failure. */
  const boundary = async (): Promise<boolean> => {
    await options.onPhase('push-security-event-tokens');
    return !ctx.aborted && runner.healthy;
  };
  /** At the pause before a push that carries a new SET: mint it, and say how many follow. */
  const nextSet = async (): Promise<'go' | 'stop'> => {
    if (next > 0 && !crossed && !(await boundary())) return 'stop';
    crossed = false;
    if (next >= events.length) return 'stop';
    const index = next++;
    const token = await mint(index);
    inFlight = { index, token, at: ctx.clock.now(), onlyRateLimited: true, awaiting: false };
    carry(token);
    return 'go';
  };

  const pushHooks: PhaseHooks = {
    // A retry's attempt goes with the SET `prepare` left in the environment.
    beforeItem: () => (inFlight ? undefined : nextSet()),
    beforeRequest() {
      if (inFlight) inFlight.awaiting = true;
    },
    afterResponse({ status }) {
      if (status === 204) options.log('note: the org answered 204 No Content to a SET push, where Okta documents 202 Accepted (taken as accepted)\n');
      // No SET stays in the environment once answered (whoever holds an unsent one could push it); a resend
      // puts it back. After a lost answer the teardown clears it.
      env.set('securityEventToken', '');
      if (!inFlight) return;
      inFlight.awaiting = false;
      if (status === 202 || status === 204) inFlight = undefined;
      else if (status !== 429) inFlight.onlyRateLimited = false;
    },
  };

  /** Before each attempt the push makes on its own: resend the SET in flight as it is, or a fresh one when it may. */
  const preparePush = async (): Promise<boolean> => {
    alone = true;
    if (!inFlight) return true;
    // An attempt whose answer was lost may have been taken: from then on only the same SET may go again.
    if (inFlight.awaiting) inFlight.onlyRateLimited = false;
    // A resend carries the same SET: the org ignores a jti it has seen, so nothing is counted twice.
    if (ctx.clock.now() - inFlight.at > SET_RESEND_WINDOW_MS) {
      // Too old to resend as it is: a new jti is safe only when every earlier attempt was refused with a 429.
      if (!inFlight.onlyRateLimited) return false;
      inFlight = { ...inFlight, token: await mint(inFlight.index), at: ctx.clock.now() };
    }
    carry(inFlight.token);
    return true;
  };

  /** Once the push goes a request at a time: another push while SETs are left and the boundary lets the run go on. */
  const pushAgain = async (): Promise<boolean> => {
    if (inFlight || next >= events.length) return false;
    if (!(await boundary())) return false;
    crossed = true;
    return true;
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
      hooks: pushHooks,
      policies: { [SSF_REQUESTS.pushSet]: { kind: 'idempotent' } },
      prepare: { [SSF_REQUESTS.pushSet]: preparePush },
      again: { [SSF_REQUESTS.pushSet]: pushAgain },
    },
    {
      id: 'confirm-system-log',
      folder: SSF_FOLDERS.confirmSystemLog,
      before: async () => {
        // Entered healthy with SETs unsent: the collection's push request no longer goes again while setsLeft
        // is above 0, and the System Log check would fail for a reason it cannot name.
        if (next < events.length) {
          throw new HarnessError('ERR_RUN_BROKEN', `The collection pushed ${next} of the run's ${events.length} SETs: its request "${SSF_REQUESTS.pushSet}" did not go again while setsLeft was above 0.`, {
            fix: `restore that request's test script in ${SSF_COLLECTION_FILE} (git checkout collections/), which repeats it with pm.execution.setNextRequest while setsLeft is above 0.`,
          });
        }
        return RUN_REQUESTS;
      },
      policies: { [SSF_REQUESTS.findEvents]: { kind: 'idempotent' } },
    },
    {
      id: 'tear-down',
      folder: SSF_FOLDERS.tearDown,
      final: true,
      // Nothing to delete when the provider was never made (or its create answer is still unknown: the
      // journal's undo finds it by the run's issuer).
      before: async () => {
        // A SET whose answer was lost is still there: none is left behind, whatever happened.
        env.set('securityEventToken', '');
        env.set('setsLeft', '');
        return providerId() === undefined ? SKIP : RUN_REQUESTS;
      },
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
