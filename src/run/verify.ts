/**
 * `verify`: the guide's whole setup and test, in order, through the shared collection.
 *
 * Verify checks its input, starts the embedded org when asked, makes the run's key pair, journal and run
 * context, and walks its phases (verify-phases.ts): while nothing fails, the whole collection goes as one
 * Newman run in the collection's order, paused at each phase boundary for what Postman cannot do (mint the
 * client assertion with jose, create the run's provider, pick the events batch, plan the teardown); the
 * runner falls back to a request at a time when one needs another attempt. Teardown is on by default; `keep`
 * leaves the org provisioned.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COLLECTION_FILE, REQUESTS, SECRET_VARIABLES } from '../collection/collection.ts';
import type { VerifySettings } from '../config/settings.ts';
// Loaded when a run needs them, not by every verify: the emulator, the Handlebars renderers, the SSF flow.
import type { Emulator } from '../emulator/index.ts';
import type { EnvironmentValues } from '../environment/render-environment.ts';
import { writeSecretFile } from '../environment/write-secret-file.ts';
import { EXIT_CODES, exitCodeOf, HarnessError, type ExitCode } from '../errors.ts';
import { countSignals, loadRiskEvents } from '../events/risk-events.ts';
import { generateProviderKeyPair, loadKeyPair, type ProviderKeyPair } from '../keys/index.ts';
import { undoJournal, type CleanupReport } from '../org/cleanup.ts';
import { OrgClient, realSleep } from '../org/org-client.ts';
import { Journal, journalPath, keptKeyPath } from '../state/journal.ts';
import { loadNewman } from './newman-phase.ts';
import { RunContext } from './run-context.ts';
import type { EnvironmentMap } from './run-environment.ts';
import { OrgChecks } from './org-checks.ts';
import { StepRunner, type PhaseReport } from './step-runner.ts';
import { Redactor } from './redact.ts';
import { DpopSession, type DpopMode } from './dpop-session.ts';
import { collectRetries, type RetryRecord } from './retries.ts';
import { writeReports, type WrittenReport } from './reports.ts';
import { chooseProvider, type ProviderChoice } from './provider-guard.ts';
import { runPhases, type PhaseId } from './phases.ts';
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
   * How many Newman runs the run took: one for a Risk API run where nothing needs another attempt and the
   * events fit one call; more after a retry (each retried request runs on its own) and one per events call
   * after the first. The SSF flow takes one per SET besides.
   */
  newmanRuns: number;
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

/** The embedded emulator, built (not listening yet), its module loaded only for a run that uses it. */
export async function startableEmulator(settings: VerifySettings): Promise<Emulator> {
  const { buildEmulator } = await import('../emulator/index.ts');
  return buildEmulator({ eventsRateLimit: settings.eventsRateLimit });
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

export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const { settings } = options;
  // The SSF flow drives its own collection through the same runner, journal and reports.
  if (settings.flow === 'ssf') return (await import('../ssf/verify-ssf.ts')).verifySsf(options);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const streams = options.streams ?? { out: process.stdout, err: process.stderr };
  const runId = makeRunId(now());
  const redactor = new Redactor();
  const unguard = [redactor.guard(streams.out), redactor.guard(streams.err)];
  const result: VerifyResult = { exitCode: EXIT_CODES.passed, runId, target: settings.target.kind, phases: [], reports: [], rateLimitedCalls: 0, retries: [], newmanRuns: 0 };
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
      settings.target.kind === 'emulator' ? startableEmulator(settings) : undefined,
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
    let tornDown = false;
    const onPhase = async (id: PhaseId): Promise<void> => void (await options.onPhase?.(id));
    const phases = verifyPhases({
      ctx,
      runner: run,
      checks,
      choice,
      events,
      dpop,
      onPhase,
      tornDown: () => void (tornDown = true),
      async keepForPostman() {
        // Everything Postman needs to go on where the run stopped: the key (to mint the next assertion),
        // clientId, and an assertion of its own (the run's was spent on its token: a jti is single-use).
        const environmentFile = join(runDir, 'okta-risk-provider.postman_environment.json');
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
    try {
      await runPhases(phases, { runner: run, onPhase, aborted: () => ctx.aborted });
    } finally {
      // Whatever the Tear down folder could not undo (a pending create, a provider the run created, a failed step).
      if (tornDown) result.cleanup = await undoJournal(journal, org);
    }
    result.phases = run.phases;
    if (dpop.mode) result.dpop = { ...dpop.mode, jkt: dpop.jkt! };
    result.rateLimitedCalls = rateLimitedCallsOf(run.phases, REQUESTS.sendRiskEvents);
    result.reports = await writeRunReports(run);
    result.exitCode = finishedRunExitCode(run, result.cleanup, ctx.aborted);
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
      result.newmanRuns = startedRun?.reportRuns.length ?? 0;
      if (startedRun && settings.reporters.includes('html')) {
        const { writeHtmlReport } = await import('../report/html-report.ts');
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
