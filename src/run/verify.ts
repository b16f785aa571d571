/**
 * `verify`: the guide's whole setup and test, in order, through the shared collection.
 *
 * Each phase is its own `newman.run` (Newman does not keep the order of several folders in one run), and the
 * environment is carried from run to run. Between phases the runner does what Postman cannot: mints the
 * client assertion with jose, batches the events and waits out rate limits, journals every change before it
 * is made, and tears down what the run created. Teardown is on by default; `keep` leaves the org provisioned.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COLLECTION_FILE, FOLDER_REQUESTS, FOLDERS, REQUESTS, SECRET_VARIABLES, type RequestName } from '../collection/collection.ts';
import type { VerifySettings } from '../config/settings.ts';
import { buildEmulator, type Emulator } from '../emulator/index.ts';
import { renderEnvironment, type EnvironmentValues } from '../environment/render-environment.ts';
import { writeSecretFile } from '../environment/write-secret-file.ts';
import { EXIT_CODES, exitCodeOf, HarnessError, type ExitCode } from '../errors.ts';
import { batchRiskEvents, countSignals, loadRiskEvents } from '../events/risk-events.ts';
import { generateProviderKeyPair, loadKeyPair, type ProviderKeyPair } from '../keys/index.ts';
import { undoJournal, type CleanupReport } from '../org/cleanup.ts';
import { describeOktaError } from '../org/okta-error.ts';
import { OrgClient, realSleep } from '../org/org-client.ts';
import { Journal, journalPath, keptKeyPath } from '../state/journal.ts';
import { loadNewman, type PhaseHooks } from './newman-phase.ts';
import { RunContext } from './run-context.ts';
import type { EnvironmentMap } from './run-environment.ts';
import { OrgChecks } from './org-checks.ts';
import { StepRunner, type PhaseReport, type RetryPolicy } from './step-runner.ts';
import { Redactor } from './redact.ts';
import { bindAppToDpop, DpopSession, type DpopMode } from './dpop-session.ts';
import { RISK_EVENTS_PATH } from '../okta/risk-events.ts';
import { collectRetries, type RetryRecord } from './retries.ts';
import { writeReports, type WrittenReport } from './reports.ts';
import { chooseProvider, type ProviderChoice } from './provider-guard.ts';
import { tearDown, teardownPlan } from './teardown.ts';
import { writeHtmlReport } from '../report/html-report.ts';
import { verifySsf } from '../ssf/verify-ssf.ts';

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
  /** Called at each phase boundary (tests use it to interrupt a run at a chosen point). */
  onPhase?: (phase: string) => void | Promise<void>;
  /** The System Log check's bound. Default 10 attempts, 1 s apart. */
  logPoll?: { attempts: number; intervalMs: number };
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
  /** Every request sent again, and why (429s, 5xx, lost answers), the collection's and the harness's own. */
  retries: RetryRecord[];
  /** Set when the partner requests used DPoP: asked for with `--dpop`, or switched on when the org asked. */
  dpop?: DpopMode & { jkt: string };
}

/** Sortable, unique per run, safe in file names: `20261128T120000Z-1a2b3c`. */
/**
 * The org a run talks to: the embedded emulator, listening on loopback from here on, or the real org of the
 * settings. Its API token is redacted before anything can print it.
 */
export async function openOrg(
  target: VerifySettings['target'],
  built: Emulator | undefined,
  o: { redactor: Redactor; now: () => number; sleep: (ms: number) => Promise<void>; log: (line: string) => void },
): Promise<{ orgUrl: string; apiToken: string; org: OrgClient }> {
  let orgUrl: string;
  let apiToken: string;
  if (built) {
    orgUrl = await built.listen({ port: 0, host: '127.0.0.1' });
    apiToken = built.apiToken;
  } else if (target.kind === 'org') {
    ({ orgUrl, apiToken } = target);
  } else {
    throw new TypeError('the embedded emulator was not built');
  }
  o.redactor.add(apiToken);
  return { orgUrl, apiToken, org: new OrgClient({ orgUrl, apiToken, now: o.now, sleep: o.sleep, log: o.log }) };
}

/** How many 429s the org gave `request` over the whole run. */
export function rateLimitedCallsOf(phases: readonly PhaseReport<string>[], request: string): number {
  return phases
    .flatMap((p) => p.requests)
    .filter((r) => r.name === request)
    .reduce((n, r) => n + r.causes.filter((c) => c.kind === 'rate-limited').length, 0);
}

/** The exit code of a run that got to its end: interrupted, broken, failed (a phase or what teardown left), or passed. */
export function finishedRunExitCode(run: { broken: string | undefined; phases: readonly PhaseReport<string>[] }, cleanup: CleanupReport | undefined, interrupted: boolean): ExitCode {
  return exitCodeOf({
    interrupted,
    broken: run.broken !== undefined,
    failed: run.phases.some((p) => !p.passed) || (cleanup !== undefined && !cleanup.complete),
  });
}

export function makeRunId(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z') + '-' + randomBytes(3).toString('hex');
}

interface CollectionItem {
  id?: string;
  name: string;
  item?: CollectionItem[];
}

/**
 * Loads the shared collection and gives every item a stable id (from its path of names) where it has none:
 * the SDK would invent a new random id in each Newman run, and the merged reports match requests by id.
 */
export async function loadCollection(file: string = COLLECTION_FILE): Promise<object> {
  const collection = JSON.parse(await readFile(file, 'utf8')) as { item: CollectionItem[] };
  const assign = (items: CollectionItem[], prefix: string): void => {
    for (const item of items) {
      const path = `${prefix}/${item.name}`;
      item.id ??= createHash('sha256').update(path).digest('hex').slice(0, 32);
      if (item.item) assign(item.item, path);
    }
  };
  assign(collection.item, '');
  return collection;
}

const TOKEN_REFRESH_MARGIN_MS = 120_000;

export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const { settings } = options;
  // The SSF flow drives its own collection through the same runner, journal and reports.
  if (settings.flow === 'ssf') return verifySsf(options);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const streams = options.streams ?? { out: process.stdout, err: process.stderr };
  const runId = makeRunId(now());
  const redactor = new Redactor();
  const unguard = [redactor.guard(streams.out), redactor.guard(streams.err)];
  const result: VerifyResult = { exitCode: EXIT_CODES.passed, runId, target: settings.target.kind, phases: [], reports: [], rateLimitedCalls: 0, retries: [] };
  const runDir = join(settings.workDir, runId);
  let emulator: Emulator | undefined;
  let startedRun: StepRunner | undefined;
  let org: OrgClient | undefined;
  let reportTitle = '';
  const writeRunReports = (ran: StepRunner): Promise<WrittenReport[]> =>
    writeReports({
      runs: ran.reportRuns,
      dir: join(settings.reportsDir, runId),
      reporters: settings.reporters.filter((r): r is 'junit' | 'htmlextra' => r === 'junit' || r === 'htmlextra'),
      title: reportTitle,
      redactor,
      secretKeys: SECRET_VARIABLES,
      secretBodyRequests: [REQUESTS.getAccessToken],
    });
  try {
    // Everything that can be wrong with the input is found before the org is touched.
    const events = loadRiskEvents(settings.eventsFile);
    // Key generation runs on libuv's thread pool: make the provider's key and the emulator's org key at once.
    // Newman's module loading runs on the main thread meanwhile.
    const [keys, collection, built] = await Promise.all([
      settings.keyFile ? loadKeyPair(settings.keyFile) : generateProviderKeyPair(),
      loadCollection(),
      settings.target.kind === 'emulator' ? buildEmulator({ eventsRateLimit: settings.eventsRateLimit }) : undefined,
      loadNewman(),
    ]);
    redactor.addPrivateJwk(keys.privateJwk as Record<string, unknown>);

    emulator = built;
    const opened = await openOrg(settings.target, built, { redactor, now, sleep, log: (line) => streams.err.write(line) });
    const { orgUrl, apiToken } = opened;
    org = opened.org;
    result.orgUrl = orgUrl;
    result.urlHint = (await org.assertReachable(settings.target.kind === 'org' ? '--org-url (OKTA_CLIENT_ORGURL)' : 'the embedded emulator')).hint;

    const statePath = settings.target.kind === 'emulator' ? join(runDir, 'state.json') : journalPath(settings.workDir, orgUrl);
    // Another run from this folder is named before the org is even asked (its journal is here).
    Journal.assertNoOtherRun(statePath, orgUrl);
    const choice = await chooseProvider(org, settings);
    const journal = Journal.begin(statePath, {
      orgUrl,
      runId,
      pid: process.pid,
      startedAt: new Date(now()).toISOString(),
      kid: keys.kid,
      providerName: settings.providerName,
    });

    const ctx = new RunContext({
      settings,
      runId,
      orgUrl,
      org,
      journal,
      keys,
      redactor,
      clock: { now, sleep },
      environment: initialEnvironment(settings, orgUrl, apiToken, keys, choice, countSignals(events), now, options.logPoll),
      signal: options.signal,
      log: (line) => streams.err.write(line),
    });
    const { env } = ctx;
    const run = new StepRunner({ collection, context: ctx, cli: settings.reporters.includes('cli') });
    startedRun = run;
    reportTitle = `Okta risk provider verification: ${new URL(orgUrl).host}, run ${runId}`;
    const checks = new OrgChecks(ctx);
    const dpop = await DpopSession.start({ enabled: settings.dpop === true, orgUrl, now, redactor, log: (line) => streams.err.write(line) });
    const aborted = (): boolean => ctx.aborted;
    // A token request of a DPoP-bound app carries a proof of its own (single-use, like the assertion).
    const mintForToken = async (): Promise<void> => {
      await ctx.mintAssertion();
      await dpop.forTokenRequest(env);
    };
    let teardownAnnounced = false;
    const boundary = async (phase: string): Promise<boolean> => {
      await options.onPhase?.(phase);
      return !aborted() && run.healthy;
    };

    try {
      if (await boundary('create-service-app')) {
        await run.folder(FOLDERS.createServiceApp, {
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
        });
      }

      if (await boundary('update-provider')) {
        if (choice.kind === 'create') env.set('providerId', await createProvider(org, settings, env.get('clientId'), journal));
        await run.folder(FOLDERS.updateProvider, {
          hooks: {
            afterResponse({ name, status, body }) {
              // The provider's settings go into the journal before the PUT that changes them is sent.
              if (name === REQUESTS.listProviders && status === 200 && !journal.data.provider) checks.recordProvider(body);
            },
          },
          policies: { [REQUESTS.listProviders]: { kind: 'idempotent' }, [REQUESTS.updateProvider]: { kind: 'idempotent' } },
        });
      }

      if (await boundary('test-integration')) {
        // With --dpop the run's app is bound first, the way Okta documents it (GET, then PUT it back).
        if (dpop.enabled && env.get('clientId')) await bindAppToDpop(org, env.get('clientId'));
        // Each events attempt of a DPoP-bound token needs its own proof, with `ath` of the token it carries.
        const eventsProof = async (): Promise<boolean> => (await dpop.forResourceRequest(env, 'POST', RISK_EVENTS_PATH), true);
        let tokenExpiresAt = 0;
        // A lost token answer burned the assertion's jti: the retry gets a fresh assertion.
        const tokenPolicy: RetryPolicy = { kind: 'check', tookEffect: async () => (await mintForToken(), false) };
        const eventsPolicy = (expectedTotal: number): RetryPolicy => ({
          kind: 'check',
          tookEffect: () => checks.signalsLogged(env.get('providerId'), env.get('runStartedAt'), expectedTotal),
        });
        // The access token becomes a secret the moment it arrives, before anything could print it.
        // The org's DPoP nonce (or its demand for DPoP) is read from the same answer.
        const tokenHooks: PhaseHooks = {
          afterResponse: ({ name, status, headers, body }) => {
            if (name !== REQUESTS.getAccessToken) return;
            ctx.secret(parseField(body, 'access_token'));
            dpop.noteTokenAnswer(status, headers, body);
          },
        };
        const refreshToken = async (): Promise<boolean> => {
          await mintForToken();
          const issuedAt = now();
          const ok = await run.request(FOLDERS.testIntegration, REQUESTS.getAccessToken, tokenHooks, tokenPolicy);
          ctx.secret(env.get('accessToken'));
          tokenExpiresAt = issuedAt + 3_600_000;
          return ok;
        };
        const batches = batchRiskEvents(events);
        if (batches.length === 1) {
          // One call's worth of events: the token and the events go in one Newman run, as the folder reads.
          if (await boundary('send-risk-events')) {
            await mintForToken();
            env.set('riskEvents', JSON.stringify(batches[0]));
            await run.folder(FOLDERS.testIntegration, {
              policies: { [REQUESTS.getAccessToken]: tokenPolicy, [REQUESTS.sendRiskEvents]: eventsPolicy(countSignals(events)) },
              hooks: tokenHooks,
              // DPoP: the events proof needs the token, so the two requests go one Newman run each.
              stepwise: dpop.enabled,
              prepare: { [REQUESTS.sendRiskEvents]: eventsProof },
            });
          }
        } else if (await refreshToken()) {
          let delivered = 0;
          for (const batch of batches) {
            if (!(await boundary('send-risk-events'))) break;
            const size = countSignals(batch);
            const ok = await run.request(
              FOLDERS.testIntegration,
              REQUESTS.sendRiskEvents,
              undefined,
              eventsPolicy(delivered + size),
              undefined,
              // After any rate-limit wait: renew a token that is about to expire, then send this batch.
              async () => {
                if (tokenExpiresAt - now() < TOKEN_REFRESH_MARGIN_MS && !(await refreshToken())) return false;
                env.set('riskEvents', JSON.stringify(batch));
                return eventsProof();
              },
            );
            if (!ok) break;
            delivered += size;
          }
        }
      }

      if (await boundary('confirm-system-log')) {
        const confirm: Partial<Record<RequestName, RetryPolicy>> = { [REQUESTS.findRiskSignal]: { kind: 'idempotent' } };
        const teardown = settings.keep ? undefined : teardownPlan(ctx, checks);
        if (teardown) {
          teardownAnnounced = true;
          // From here on a Ctrl-C no longer cuts waits short: the teardown must get through.
          run.beginFinalPhase();
          await options.onPhase?.('tear-down');
        }
        if (teardown && !aborted() && teardown.steps.length === FOLDER_REQUESTS[FOLDERS.tearDown].length) {
          // The usual end: the System Log check and the whole teardown in one Newman run. If the check fails,
          // the run stops there and the teardown goes on in a run of its own.
          await run.folder([FOLDERS.confirmSystemLog, FOLDERS.tearDown], { hooks: teardown.hooks, policies: { ...confirm, ...teardown.policies } });
          if (!teardown.steps.some((step) => run.ran(step))) {
            await run.folder(FOLDERS.tearDown, { hooks: teardown.hooks, policies: teardown.policies });
          }
          result.cleanup = await undoJournal(journal, org);
        } else if (!aborted()) {
          await run.folder(FOLDERS.confirmSystemLog, { policies: confirm });
        }
      }
    } finally {
      if (!teardownAnnounced) await options.onPhase?.('tear-down');
      if (result.cleanup) {
        // Torn down with the System Log check above.
      } else if (settings.keep && settings.target.kind === 'org' && !aborted()) {
        // Everything Postman needs to go on where the run stopped: the key (to mint the next assertion),
        // clientId, and an assertion of its own (the run's was spent on its token: a jti is single-use).
        const environmentFile = join(runDir, 'okta-risk-provider.postman_environment.json');
        const keyFile = keptKeyPath(journal.path);
        await writeSecretFile(keyFile, JSON.stringify(keys.privateJwk, null, 2) + '\n');
        if (env.get('clientId')) await ctx.mintAssertion();
        // Postman cannot sign proofs: a proof minted here would only be a stale secret in the file.
        env.set('dpopProof', '');
        const environment = renderEnvironment(env.values() as unknown as EnvironmentValues, { name: `okta-risk ${new URL(orgUrl).host} ${runId}` });
        await writeSecretFile(environmentFile, JSON.stringify(environment, null, 2));
        result.kept = { environmentFile, stateFile: journal.path, keyFile, clientId: env.get('clientId') || undefined };
      } else {
        result.cleanup = await tearDown(ctx, run, checks);
      }
    }
    result.phases = run.phases;
    if (dpop.mode) result.dpop = { ...dpop.mode, jkt: dpop.jkt! };
    result.rateLimitedCalls = rateLimitedCallsOf(run.phases, REQUESTS.sendRiskEvents);
    result.reports = await writeRunReports(run);
    result.exitCode = finishedRunExitCode(run, result.cleanup, aborted());
  } catch (error) {
    if (!(error instanceof HarnessError)) throw error;
    result.error = error;
    result.exitCode = exitCodeOf({ error });
    // A run that stopped part way still reports what it did.
    if (startedRun) {
      result.phases = startedRun.phases;
      result.reports = await writeRunReports(startedRun);
    }
  } finally {
    try {
      result.retries = collectRetries(result.phases, org?.retries ?? []);
      if (startedRun && settings.reporters.includes('html')) {
        result.reports.push(await writeHtmlReport({ result, runs: startedRun.reportRuns, dir: join(settings.reportsDir, runId), redactor, secretBodyRequests: [REQUESTS.getAccessToken] }));
      }
    } finally {
      // Even when the page cannot be written: the emulator stops and the run's secrets are removed.
      await emulator?.close();
      if (!settings.keep) await rm(runDir, { recursive: true, force: true });
      for (const restore of unguard) restore();
    }
  }
  return result;
}

function parseField(body: string, field: string): string | undefined {
  try {
    const value = (JSON.parse(body) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function initialEnvironment(
  settings: VerifySettings,
  orgUrl: string,
  apiToken: string,
  keys: ProviderKeyPair,
  choice: ProviderChoice,
  expectedSignalCount: number,
  now: () => number,
  logPoll: VerifyOptions['logPoll'],
): EnvironmentMap {
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

async function createProvider(org: OrgClient, settings: VerifySettings, clientId: string, journal: Journal): Promise<string> {
  const response = await org.request<{ id?: string }>('POST', '/api/v1/risk/providers', {
    name: settings.providerName,
    clientId,
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
  journal.providerCreated(id);
  return id;
}

