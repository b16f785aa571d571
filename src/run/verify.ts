/**
 * `verify`: the guide's whole setup and test, in order, through the shared collection.
 *
 * The run around the phases (input checks, the key pair, the embedded org, the journal, the reports, the end)
 * is run-flow.ts's, shared with the SSF flow; this module says what is the Risk API flow's own, and walks its
 * phases (verify-phases.ts): while nothing fails, the whole collection goes as one
 * Newman run in the collection's order, paused at each phase boundary for what Postman cannot do (mint the
 * client assertion with jose, create the run's provider, pick the events batch, plan the teardown); the
 * runner falls back to a request at a time when one needs another attempt. Teardown is on by default; `keep`
 * leaves the org provisioned.
 */
import { join } from 'node:path';
import { COLLECTION_FILE, REQUESTS, type FolderName, type RequestName, type VariableName } from '../collection/collection.ts';
import type { VerifySettings } from '../config/settings.ts';
// Loaded when a run needs them, not by every verify: the Handlebars renderer (for --keep), the SSF flow.
import type { EnvironmentValues } from '../environment/render-environment.ts';
import { writeSecretFile } from '../environment/write-secret-file.ts';
import type { ExitCode, HarnessError } from '../errors.ts';
import { countSignals, loadRiskEvents, type RiskEvent } from '../events/risk-events.ts';
import type { OrgSigningKey } from '../emulator/keys.ts';
import type { CleanupReport } from '../org/cleanup.ts';
import { keptKeyPath } from '../state/journal.ts';
import { DpopSession, type DpopMode } from './dpop-session.ts';
import { OrgChecks } from './org-checks.ts';
import type { PhaseId } from './phases.ts';
import { chooseProvider, type ProviderChoice } from './provider-guard.ts';
import type { RetryRecord } from './retries.ts';
import type { WrittenReport } from './reports.ts';
import { runFlow, type FlowDefinition, type OpenedRun } from './run-flow.ts';
import type { EnvironmentMap } from './run-environment.ts';
import { RISK_API_LAYOUT, type PhaseReport } from './step-runner.ts';
import { verifyPhases } from './verify-phases.ts';
import type { SsfPhaseId } from '../ssf/verify-ssf.ts';

export interface VerifyOptions {
  settings: VerifySettings;
  /** Milliseconds since the epoch. Default `Date.now`; tests pass the emulator's manual clock. */
  now?: () => number;
  /** How to wait (rate limits). Default: a real timer; tests advance a manual clock instead. */
  sleep?: (ms: number) => Promise<void>;
  /** Aborting stops at the next phase boundary or events call, tears down, and ends with exit code 130. */
  signal?: AbortSignal;
  /** Redirects the secret guard and the live reporter; default process.stdout / process.stderr. */
  streams?: { out: NodeJS.WriteStream; err: NodeJS.WriteStream };
  /**
   * Called at each phase boundary, Newman paused before the phase's first request (tests use it to interrupt
   * a run at a chosen point): a {@link PhaseId}, or an {@link SsfPhaseId} with `--flow ssf`.
   */
  onPhase?: (phase: PhaseId | SsfPhaseId) => void | Promise<void>;
  /** The System Log check's bound. Default 10 attempts, 1 s apart. */
  logPoll?: { attempts: number; intervalMs: number };
  /**
   * The embedded emulator's signing key, not made yet (a `new OrgSigningKey()`). Default: a new one. The run
   * starts it when its start-up is over if the flow gets tokens; tests pass their own to see when it is made.
   */
  orgKey?: OrgSigningKey;
}

export type { PhaseReport, RequestReport } from './step-runner.ts';

export interface VerifyResult {
  exitCode: ExitCode;
  runId: string;
  orgUrl?: string;
  target: 'emulator' | 'org';
  /** The Risk API flow's folders, or the SSF flow's. */
  phases: PhaseReport<string>[];
  reports: WrittenReport[];
  /** What the fallback cleanup did when the Tear down folder left something behind. */
  cleanup?: CleanupReport;
  /** The error that stopped the run early (bad input, a provider in use, an unreachable org). */
  error?: HarnessError;
  /** With `keep`: the Postman environment written for manual testing, and the journal cleanup will read. */
  kept?: {
    environmentFile: string;
    stateFile: string;
    /** The run's private key (0600, next to the journal), for `okta-risk assertion --key`. */
    keyFile: string;
    /** The kept service app; absent when the run stopped before it was created. */
    clientId?: string;
  };
  /** Set when the org calls itself by another URL than the one the run used (see `OrgClient.assertReachable`). */
  urlHint?: string;
  /** Risk events calls answered 429 and sent again. */
  rateLimitedCalls: number;
  /**
   * How many Newman runs the run took: one where nothing needs another attempt and the events fit one call
   * (the SSF flow's push request goes again for each SET inside it); more after a retry (each retried request
   * runs on its own, and the SETs after a retried one a run each) and one per events call after the first.
   */
  newmanRuns: number;
  /** Every request sent again, and why (429s, 5xx, lost answers), the collection's and the harness's own. */
  retries: RetryRecord[];
  /** Set when the partner requests used DPoP: asked for with `--dpop`, or switched on when the org asked. */
  dpop?: DpopMode & { jkt: string };
}

export { finishedRunExitCode, loadCollection, makeRunId, openOrg, rateLimitedCallsOf, startableEmulator } from './run-flow.ts';

export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  // The SSF flow drives its own collection through the same run, runner, journal and reports.
  if (options.settings.flow === 'ssf') return (await import('../ssf/verify-ssf.ts')).verifySsf(options);
  return runFlow(options, riskApiFlow(options.settings));
}

/** The Risk API flow: the guide's collection, its events, the provider it takes (or creates), DPoP, `--keep`. */
function riskApiFlow(settings: VerifySettings): FlowDefinition<VariableName, PhaseId, FolderName, RequestName> {
  let events: RiskEvent[] = [];
  return {
    collectionFile: COLLECTION_FILE,
    orgTokens: true,
    layout: RISK_API_LAYOUT,
    secretBodyRequests: [REQUESTS.getAccessToken],
    rateLimitedRequest: REQUESTS.sendRiskEvents,
    title: 'Okta risk provider verification',
    // Everything that can be wrong with the input is found before the org is touched.
    checkInput: () => void (events = loadRiskEvents(settings.eventsFile)),
    async prepare(open) {
      const choice = await chooseProvider(open.org, settings);
      return {
        environment: initialEnvironment(open, choice, countSignals(events)),
        async phases({ ctx, runner, result, onPhase }) {
          const { env, journal, keys, orgUrl, runId } = ctx;
          const checks = new OrgChecks(ctx);
          const dpop = await DpopSession.start({ enabled: settings.dpop === true, orgUrl, now: open.now, redactor: open.redactor, log: open.log });
          let tornDown = false;
          const phases = verifyPhases({
            ctx,
            runner,
            checks,
            choice,
            events,
            dpop,
            onPhase,
            tornDown: () => void (tornDown = true),
            async keepForPostman() {
              // Everything Postman needs to go on where the run stopped: the key (to mint the next assertion),
              // clientId, and an assertion of its own (the run's was spent on its token: a jti is single-use).
              const environmentFile = join(settings.workDir, runId, 'okta-risk-provider.postman_environment.json');
              const keyFile = keptKeyPath(journal.path);
              await writeSecretFile(keyFile, JSON.stringify(keys.privateJwk, null, 2) + '\n');
              if (env.get('clientId')) await ctx.mintAssertion();
              // Postman cannot sign proofs: a proof minted here would only be a stale secret in the file.
              env.set('dpopProof', '');
              const { renderEnvironment } = await import('../environment/render-environment.ts');
              const environment = renderEnvironment(env.values() as unknown as EnvironmentValues, { name: `okta-risk ${new URL(orgUrl).host} ${runId}` });
              await writeSecretFile(environmentFile, JSON.stringify(environment, null, 2));
              result.kept = { environmentFile, stateFile: journal.path, keyFile, clientId: env.get('clientId') || undefined };
            },
          });
          return {
            phases,
            // A kept run leaves the org provisioned: nothing is undone.
            undoAfter: () => tornDown,
            finish(finished) {
              if (dpop.mode) finished.dpop = { ...dpop.mode, jkt: dpop.jkt! };
            },
          };
        },
      };
    },
  };
}

function initialEnvironment(open: OpenedRun, choice: ProviderChoice, expectedSignalCount: number): EnvironmentMap {
  const { settings, orgUrl, apiToken, keys, now, logPoll } = open;
  return {
    url: orgUrl,
    apikey: apiToken,
    providerName: settings.providerName,
    publicKey: JSON.stringify(keys.publicJwk),
    riskAction: settings.action,
    riskEvents: '[]',
    clientId: '',
    grantId: '',
    providerId: choice.kind === 'existing' ? choice.id : '',
    previousProviderName: '',
    previousProviderClientId: '',
    previousProviderAction: '',
    clientAssertion: '',
    accessToken: '',
    // A second of slack: the org's clock and ours may disagree by a little.
    runStartedAt: new Date(now() - 1000).toISOString(),
    expectedSignalCount: String(expectedSignalCount),
    logPollAttempts: String(logPoll?.attempts ?? 10),
    logPollIntervalMs: String(logPoll?.intervalMs ?? 1000),
    force: String(settings.force),
    retryOnRateLimit: 'true',
  };
}
