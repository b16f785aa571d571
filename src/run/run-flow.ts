/**
 * The run around a flow's phases, the same for the Risk API flow (verify.ts) and the SSF flow
 * (ssf/verify-ssf.ts): the secret guard on stdout and stderr; the run's key pair, collection, embedded org and
 * Newman, made at once; the org opened and found reachable; no other run's journal; the flow's own checks;
 * the journal, run context and step runner; the flow's phases, then whatever the journal still lists undone;
 * the reports, also for a run that stopped part way; and at the end, whatever happened, the emulator stopped
 * and the run's secrets removed. A flow says only what differs ({@link FlowDefinition}).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COLLECTION_FILE } from '../collection/collection.ts';
import type { VerifySettings } from '../config/settings.ts';
// The emulator's module is loaded only for a run against it (startableEmulator); its key module needs only jose
// and node:crypto.
import type { Emulator } from '../emulator/index.ts';
import { OrgSigningKey } from '../emulator/keys.ts';
import { EXIT_CODES, exitCodeOf, HarnessError, type ExitCode } from '../errors.ts';
import { generateProviderKeyPair, loadKeyPair, type ProviderKeyPair } from '../keys/index.ts';
import { undoJournal, type CleanupReport } from '../org/cleanup.ts';
import { OrgClient, realSleep } from '../org/org-client.ts';
import type { HtmlReportRequest } from '../report/html-report.ts';
import { Journal, journalPath } from '../state/journal.ts';
import { loadNewman } from './newman-phase.ts';
import { runPhases, type Phase } from './phases.ts';
import { Redactor } from './redact.ts';
import { writeReports, type WrittenReport } from './reports.ts';
import { collectRetries } from './retries.ts';
import { RunContext } from './run-context.ts';
import type { EnvironmentMap } from './run-environment.ts';
import { StepRunner, type CollectionLayout, type PhaseReport } from './step-runner.ts';
import type { VerifyOptions, VerifyResult } from './verify.ts';

/** What a flow knows once its org is open: everything its checks and its environment are made from. */
export interface OpenedRun {
  settings: VerifySettings;
  runId: string;
  orgUrl: string;
  apiToken: string;
  org: OrgClient;
  keys: ProviderKeyPair;
  redactor: Redactor;
  now: () => number;
  /** The user's stderr (behind the secret guard). */
  log: (line: string) => void;
  logPoll: VerifyOptions['logPoll'];
}

/** The phases of a flow's run, and whether the journal's leftovers are undone after them. */
export interface FlowPhases<Id extends string, F extends string, R extends string> {
  phases: Array<Phase<Id, F, R>>;
  /** True once the teardown ran (or when it always does): then `undoJournal` gets whatever it could not undo. */
  undoAfter(): boolean;
  /** Copies what the flow found out into the result (verify's DPoP mode). */
  finish?(result: VerifyResult): void;
}

/** A flow's run once it passed its checks: its environment, and how to make its phases. */
export interface PreparedFlow<K extends string, Id extends string, F extends string, R extends string> {
  /** The run's Postman environment at its start. */
  environment: EnvironmentMap;
  phases(run: { ctx: RunContext<K>; runner: StepRunner<F, R>; result: VerifyResult; onPhase(id: Id): Promise<void> }): Promise<FlowPhases<Id, F, R>>;
}

/** What differs between the two flows. */
export interface FlowDefinition<K extends string, Id extends string, F extends string, R extends string> {
  collectionFile: string;
  /**
   * Whether the collection gets access tokens from the org. Against the embedded emulator, the org's signing
   * key is then made as soon as the run's start-up is over; otherwise only if something asks for it.
   */
  orgTokens: boolean;
  layout: CollectionLayout<F, R>;
  /** Requests whose answers carry a secret in their body: the reports leave the body out. */
  secretBodyRequests: readonly R[];
  /** The request whose 429s `VerifyResult.rateLimitedCalls` counts. */
  rateLimitedRequest: R;
  /** The reports' title, before ": <org host>, run <id>". */
  title: string;
  /** The self-contained HTML report's flow-specific parts (its guide steps and heading). Default: the Risk API flow's. */
  html?: Pick<HtmlReportRequest, 'steps' | 'bodiesHiddenReason' | 'heading'>;
  /** Checks the input before anything else happens (bad input refuses the run before the org is touched). */
  checkInput?(): void;
  /** Checks the run's key pair, as soon as it is made or loaded. */
  checkKeys?(keys: ProviderKeyPair): void;
  /**
   * The flow's own checks and set-up against the open org, before the journal begins (a refusal here leaves
   * nothing to undo). `defer` registers what to close at the end of the run, whatever happens.
   */
  prepare(open: OpenedRun, defer: (close: () => Promise<void>) => void): Promise<PreparedFlow<K, Id, F, R>>;
}

export async function runFlow<K extends string, Id extends string, F extends string, R extends string>(options: VerifyOptions, flow: FlowDefinition<K, Id, F, R>): Promise<VerifyResult> {
  const { settings } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const streams = options.streams ?? { out: process.stdout, err: process.stderr };
  const log = (line: string): void => void streams.err.write(line);
  const runId = makeRunId(now());
  const redactor = new Redactor();
  const unguard = [redactor.guard(streams.out), redactor.guard(streams.err)];
  const result: VerifyResult = { exitCode: EXIT_CODES.passed, runId, target: settings.target.kind, phases: [], reports: [], rateLimitedCalls: 0, retries: [], newmanRuns: 0 };
  const runDir = join(settings.workDir, runId);
  const reportsDir = join(settings.reportsDir, runId);
  const closers: Array<() => Promise<void>> = [];
  let org: OrgClient | undefined;
  let started: StepRunner<F, R> | undefined;
  let title = '';
  const writeRunReports = (ran: StepRunner<F, R>): Promise<WrittenReport[]> =>
    writeReports({
      runs: ran.reportRuns,
      dir: reportsDir,
      reporters: settings.reporters.filter((r): r is 'junit' | 'htmlextra' => r === 'junit' || r === 'htmlextra'),
      title,
      redactor,
      secretKeys: flow.layout.secretKeys,
      secretBodyRequests: flow.secretBodyRequests,
    });
  try {
    flow.checkInput?.();
    // The provider's key is made on libuv's thread pool while Newman's synchronous module loading holds the
    // main thread. The embedded org's signing key waits until that start-up is over: nothing needs it before
    // the first token request, several requests into the run, and made at once it competed with the start-up
    // for the CPU (on 2 cores, the provider's key, the org's and the main thread: ~4 % of the whole run). A
    // flow that gets no tokens (SSF: SETs are signed by the transmitter) never makes it.
    const orgKey = settings.target.kind === 'emulator' ? (options.orgKey ?? new OrgSigningKey()) : undefined;
    const [keys, collection, built] = await Promise.all([
      settings.keyFile ? loadKeyPair(settings.keyFile) : generateProviderKeyPair(),
      loadCollection(flow.collectionFile),
      orgKey ? startableEmulator(settings, orgKey) : undefined,
      loadNewman(),
    ]);
    if (flow.orgTokens) orgKey?.start();
    if (built) closers.push(() => built.close());
    redactor.addPrivateJwk(keys.privateJwk as Record<string, unknown>);
    flow.checkKeys?.(keys);

    const opened = await openOrg(settings.target, built, { redactor, now, sleep, log });
    const { orgUrl, apiToken } = opened;
    org = opened.org;
    result.orgUrl = orgUrl;
    result.urlHint = (await org.assertReachable(settings.target.kind === 'org' ? '--org-url (OKTA_CLIENT_ORGURL)' : 'the embedded emulator')).hint;

    const statePath = settings.target.kind === 'emulator' ? join(runDir, 'state.json') : journalPath(settings.workDir, orgUrl);
    // Another run from this folder is named before the org is even asked (its journal is here).
    Journal.assertNoOtherRun(statePath, orgUrl);
    // Closed last-registered first, before the emulator.
    const prepared = await flow.prepare({ settings, runId, orgUrl, apiToken, org, keys, redactor, now, log, logPoll: options.logPoll }, (close) => void closers.unshift(close));
    const journal = Journal.begin(statePath, { orgUrl, runId, pid: process.pid, startedAt: new Date(now()).toISOString(), kid: keys.kid, providerName: settings.providerName });

    const ctx = new RunContext<K>({ settings, runId, orgUrl, org, journal, keys, redactor, clock: { now, sleep }, environment: prepared.environment, signal: options.signal, log });
    const runner = new StepRunner<F, R>({ collection, layout: flow.layout, context: ctx as RunContext<string>, cli: settings.reporters.includes('cli') });
    started = runner;
    title = `${flow.title}: ${new URL(orgUrl).host}, run ${runId}`;
    const onPhase = async (id: Id): Promise<void> => void (await options.onPhase?.(id as Parameters<NonNullable<VerifyOptions['onPhase']>>[0]));
    const walk = await prepared.phases({ ctx, runner, result, onPhase });
    try {
      await runPhases(walk.phases, { runner, onPhase, aborted: () => ctx.aborted });
    } finally {
      // Whatever the Tear down folder could not undo (a create whose answer was lost, a failed step).
      if (walk.undoAfter()) result.cleanup = await undoJournal(journal, org);
    }
    result.phases = runner.phases;
    walk.finish?.(result);
    result.rateLimitedCalls = rateLimitedCallsOf(runner.phases, flow.rateLimitedRequest);
    result.reports = await writeRunReports(runner);
    result.exitCode = finishedRunExitCode(runner, result.cleanup, ctx.aborted);
  } catch (error) {
    if (!(error instanceof HarnessError)) throw error;
    result.error = error;
    result.exitCode = exitCodeOf({ error });
    // A run that stopped part way still reports what it did.
    if (started) {
      result.phases = started.phases;
      result.reports = await writeRunReports(started);
    }
  } finally {
    try {
      result.retries = collectRetries(result.phases, org?.retries ?? []);
      result.newmanRuns = started?.reportRuns.length ?? 0;
      if (started && settings.reporters.includes('html')) {
        const { writeHtmlReport } = await import('../report/html-report.ts');
        result.reports.push(await writeHtmlReport({ result, runs: started.reportRuns, dir: reportsDir, redactor, secretBodyRequests: flow.secretBodyRequests, ...flow.html }));
      }
    } finally {
      // Even when the page cannot be written: the JWKS server and the emulator stop, the run's secrets go.
      for (const close of closers) await close();
      if (!settings.keep) await rm(runDir, { recursive: true, force: true });
      for (const restore of unguard) restore();
    }
  }
  return result;
}

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

/**
 * The embedded emulator, built (not listening yet), its module loaded only for a run that uses it. `orgKey`:
 * the org's signing key, for a caller that chooses when it is made (default: buildEmulator starts one).
 */
export async function startableEmulator(settings: VerifySettings, orgKey?: OrgSigningKey): Promise<Emulator> {
  const { buildEmulator } = await import('../emulator/index.ts');
  return buildEmulator({ eventsRateLimit: settings.eventsRateLimit, ...(orgKey && { orgKey }) });
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

/** Sortable, unique per run, safe in file names: `20261128T120000Z-1a2b3c`. */
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
