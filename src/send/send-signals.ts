/**
 * `send`: a provider's signal feed, validated, packed and paced into Okta's Risk Events API, or (`via: 'ssf'`)
 * into its SSF receiver as one Security Event Token per signal.
 *
 * 1. Stream the input through Okta's rules into one spool file per level (nothing is sent unless every record
 *    is valid, or `skipInvalid` says to skip the rest).
 * 2. Plan the calls from the spool: HIGH first, fewest calls.
 * 3. Unless `dryRun`: get a token with the service app's key (SETs need none: they are signed with the key),
 *    and deliver every call exactly once, paced by the org's rate-limit headers. With no org set the embedded
 *    emulator is provisioned for the run.
 *
 * The spool is removed at the end whatever happens; the only file a run may leave is the list of calls whose
 * answer was lost (0600, in the work dir) for the provider to check.
 */
import { randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { SendSettings } from '../config/send-settings.ts';
import type { Emulator, EmulatorOptions } from '../emulator/index.ts';
import { EXIT_CODES, exitCodeOf, HarnessError, type ExitCode, type Outcome } from '../errors.ts';
import { generateProviderKeyPair, loadKeyPair } from '../keys/index.ts';
import { realSleep } from '../org/org-client.ts';
import { assertSetSigningKey } from '../ssf/set-signing-key.ts';
import { AccessTokens } from './access-token.ts';
import { deliverCalls, type AcceptanceCheck, type DeliveryReport } from './deliver-calls.ts';
import { EventsApiTransport } from './events-api-transport.ts';
import { packCalls, type PackLimits } from './pack-calls.ts';
import { RateLimitPacer, type SendClock } from './pace.ts';
import { createProgress, type SendProgress } from './progress.ts';
import { provisionEmulator, type ProvisionedEmulator } from './provision-emulator.ts';
import { provisionSsfEmulator } from './provision-ssf-emulator.ts';
import { ssfSignalProblem, SsfTransport } from './ssf-transport.ts';
import { readSignals } from './read-signals.ts';
import { formatIssue, MAX_SIGNALS_PER_CALL, RISK_LEVELS, type PlannedCall, type RiskLevel, type Signal } from './signal.ts';
import { readSpool, spoolSignals, type SpoolResult } from './spool-signals.ts';
import type { SignalTransport } from './transport.ts';

export interface SendOptions {
  settings: SendSettings;
  /** The input when `settings.inputFile` is absent. Default `process.stdin`. */
  stdin?: Readable;
  /** Default: the system clock and real timers. Tests pass a manual clock whose sleep advances it. */
  clock?: SendClock;
  /** The plan (dry run) goes to `out`; progress to `err`. */
  streams?: { out: NodeJS.WriteStream; err: NodeJS.WriteStream };
  /** Default: a bar when `streams.err` is a TTY, plain lines otherwise. */
  progress?: SendProgress;
  /** Aborting stops before the next call; the summary says what was not sent. */
  signal?: AbortSignal;
  /** The embedded emulator's options (tests: clock, faults). `eventsRateLimit` defaults to the setting. */
  emulator?: EmulatorOptions;
  /** Builds the transport: the seam for other transports. Default: the Risk Events API. */
  transport?: (context: { orgUrl: string; tokens: AccessTokens }) => SignalTransport;
  /** Hears the emulator provisioned for the run (tests and the bench read its store afterwards). */
  onEmulator?: (emulator: Emulator) => void;
  /** The shape of one call for that transport. Default: Okta's 20 events of 50 subjects. */
  limits?: PackLimits;
}

export interface SendResult {
  exitCode: ExitCode;
  runId: string;
  target: 'emulator' | 'org';
  /** How the signals went: the Risk Events API or SETs to the SSF receiver. */
  via: SendSettings['via'];
  orgUrl?: string;
  transport?: string;
  input?: Omit<SpoolResult, 'files'>;
  plan?: { calls: number; signals: number; levels: Record<RiskLevel, number>; fullCalls: number; lastCallSignals: number };
  delivery?: DeliveryReport;
  /** Calls whose answer was lost and could not be checked, as NDJSON signals to check and send again. */
  unconfirmedFile?: string;
  error?: HarnessError;
  /** Tokens minted during the run. */
  tokensMinted?: number;
  /** The org bound the run's tokens to its DPoP key (`token_type: DPoP`). */
  dpop?: boolean;
  dryRun: boolean;
  elapsedMs: number;
}

/** The most users the embedded emulator makes from a `--via ssf` input's emails (its memory bound). */
export const EMULATOR_SSF_USERS_MAX = 10_000;

/** One signal a SET: the shape of one `--via ssf` call. */
const SSF_LIMITS: PackLimits = { eventsPerCall: 1, subjectsPerEvent: 1 };

export const systemSendClock: SendClock = { now: () => Date.now(), sleep: realSleep };

export async function sendSignals(options: SendOptions): Promise<SendResult> {
  const { settings } = options;
  const clock = options.clock ?? systemSendClock;
  const streams = options.streams ?? { out: process.stdout, err: process.stderr };
  const started = clock.now();
  const runId = `${new Date(started).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
  const result: SendResult = { exitCode: EXIT_CODES.passed, runId, target: settings.target.kind, via: settings.via, dryRun: settings.dryRun, elapsedMs: 0 };
  const spoolDir = join(settings.workDir, 'send', runId);
  let provisioned: Pick<ProvisionedEmulator, 'close'> | undefined;
  let unconfirmed: FileHandle | undefined;
  let progress: SendProgress | undefined;
  /** Sends the plan again from the spool through `transport`, and settles the result's delivery and exit code. */
  async function deliver(transport: SignalTransport, confirm: AcceptanceCheck | undefined, limits: PackLimits | undefined): Promise<void> {
    result.transport = transport.name;
    const pacer = new RateLimitPacer(clock);
    progress = options.progress ?? createProgress(streams.err, { unit: settings.via === 'ssf' ? 'SET' : 'call' });
    progress.start(result.plan!.calls, result.plan!.signals);
    const unconfirmedFile = join(settings.workDir, 'send', `${runId}-unconfirmed.ndjson`);
    result.delivery = await deliverCalls({
      calls: packCalls(source, limits),
      transport,
      pacer,
      clock,
      ...(confirm && { confirm }),
      events: progress,
      ...(options.signal && { signal: options.signal }),
      async onUnconfirmed(call) {
        unconfirmed ??= await open(unconfirmedFile, 'wx', 0o600);
        result.unconfirmedFile = unconfirmedFile;
        await unconfirmed.writeFile(signalLines(call));
      },
    });
    result.exitCode = exitCodeOf(outcomeOf(result.delivery));
  }
  let files: SpoolResult['files'] | undefined;
  const source = (level: RiskLevel): AsyncIterable<Signal> => readSpool(files![level]);
  try {
    const input = await openInput(settings.inputFile, options.stdin ?? process.stdin);
    const ssfSettings = settings.ssf;
    const spool = await spoolSignals(readSignals(input, { ...(settings.format && { format: settings.format }), emailColumn: ssfSettings !== undefined }), {
      dir: spoolDir,
      ...(ssfSettings && {
        check: ssfSignalProblem,
        email: ssfSettings.subjectEmail === undefined ? ('required' as const) : ('optional' as const),
        // The embedded org must know every user a SET names, or it drops the SET as Okta would.
        ...(settings.target.kind === 'emulator' && !settings.dryRun && { collectEmails: EMULATOR_SSF_USERS_MAX }),
      }),
    });
    const { files: spooled, ...summary } = spool;
    files = spooled;
    result.input = summary;
    checkInput(spool, settings);
    if (spool.emailsOverflow) {
      throw new HarnessError('ERR_EVENTS_INVALID', `The signals name more than ${EMULATOR_SSF_USERS_MAX.toLocaleString('en-US')} users; the embedded emulator makes at most that many users for a run, so nothing was sent.`, {
        setting: '--input',
        fix: 'send to your org (--org-url), or split the input into parts of fewer users.',
      });
    }

    const limits = options.limits ?? (settings.via === 'ssf' ? SSF_LIMITS : undefined);
    const plan = await planCalls(packCalls(source, limits), settings, streams.out);
    result.plan = plan;
    if (settings.dryRun) {
      const unit = settings.via === 'ssf' ? 'SETs' : 'calls';
      streams.out.write(`${plan.calls} ${unit} for ${plan.signals} signals (${RISK_LEVELS.map((l) => `${l} ${plan.levels[l]}`).join(', ')}); nothing was sent.\n`);
      return result;
    }

    const target = settings.target;
    const keys = target.keyFile ? await loadKeyPair(target.keyFile) : await generateProviderKeyPair();
    if (settings.via === 'ssf') {
      assertSetSigningKey(keys, target.keyFile);
      const ssf = settings.ssf!;
      let orgUrl: string;
      let issuer: string;
      let confirm: AcceptanceCheck | undefined;
      if (target.kind === 'emulator') {
        const ssfOrg = await provisionSsfEmulator({
          keys,
          clock,
          subjectEmails: [...(ssf.subjectEmail === undefined ? [] : [ssf.subjectEmail]), ...(spool.emails ?? [])],
          setRateLimit: settings.eventsRateLimit,
          ...(options.emulator && { emulator: options.emulator }),
        });
        provisioned = ssfOrg;
        options.onEmulator?.(ssfOrg.emulator);
        ({ orgUrl, issuer, confirm } = ssfOrg);
      } else {
        orgUrl = target.orgUrl;
        issuer = ssf.issuer!;
      }
      result.orgUrl = orgUrl;
      const transport = new SsfTransport({ orgUrl, issuer, keys, ...(ssf.subjectEmail !== undefined && { subjectEmail: ssf.subjectEmail }), clock });
      await deliver(transport, confirm, SSF_LIMITS);
      return result;
    }
    let orgUrl: string;
    let clientId: string;
    let confirm: AcceptanceCheck | undefined;
    if (target.kind === 'emulator') {
      const riskOrg = await provisionEmulator({ keys, clock, emulator: { eventsRateLimit: settings.eventsRateLimit, ...(settings.dpop && { dpopByDefault: true }), ...options.emulator } });
      provisioned = riskOrg;
      options.onEmulator?.(riskOrg.emulator);
      ({ orgUrl, clientId, confirm } = riskOrg);
    } else {
      orgUrl = target.orgUrl;
      clientId = target.clientId!;
    }
    result.orgUrl = orgUrl;
    const tokens = new AccessTokens({ orgUrl, clientId, keys, clock, dpop: settings.dpop, log: (line) => void streams.err.write(line) });
    // Bad credentials are found before the first call.
    await tokens.get();
    result.dpop = tokens.dpopBound;
    const transport = options.transport?.({ orgUrl, tokens }) ?? new EventsApiTransport({ orgUrl, tokens });
    await deliver(transport, confirm, limits);
    result.tokensMinted = tokens.minted;
  } catch (error) {
    if (!(error instanceof HarnessError)) throw error;
    result.error = error;
    result.exitCode = exitCodeOf({ error });
  } finally {
    progress?.stop();
    await unconfirmed?.close();
    await provisioned?.close();
    await rm(spoolDir, { recursive: true, force: true });
    result.elapsedMs = clock.now() - started;
  }
  return result;
}

async function openInput(file: string | undefined, stdin: Readable): Promise<Readable> {
  if (file === undefined) return stdin;
  try {
    const handle = await open(file, 'r');
    return handle.createReadStream();
  } catch (error) {
    throw new HarnessError('ERR_FILE_UNREADABLE', `--input ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}).`, {
      setting: '--input',
      fix: 'point --input at a readable JSON, NDJSON or CSV file, or leave it out to read stdin.',
      cause: error,
    });
  }
}

function checkInput(spool: SpoolResult, settings: SendSettings): void {
  const where = settings.inputFile ? `--input ${settings.inputFile}` : 'stdin (no --input)';
  if (spool.issueCount > 0 && (!settings.skipInvalid || spool.truncated)) {
    const listed = spool.issues.map((i) => `  ${formatIssue(i)}`).join('\n');
    const more = spool.issueCount > spool.issues.length ? `\n  … and ${spool.issueCount - spool.issues.length} more` : '';
    throw new HarnessError('ERR_EVENTS_INVALID', `${where} has ${spool.issueCount} problem${spool.issueCount === 1 ? '' : 's'}; nothing was sent:\n${listed}${more}`, {
      setting: '--input',
      fix: spool.truncated
        ? 'correct the file: it cannot be read past the first problem.'
        : "correct those lines (see the README's send section for the formats), or pass --skip-invalid to send the valid signals and report the rest.",
    });
  }
  if (spool.total === 0) {
    throw new HarnessError('ERR_EVENTS_INVALID', `${where} holds no valid signals; nothing was sent.`, {
      setting: '--input',
      fix: 'give a JSON array of risk events, NDJSON with one subject a line, or CSV with an ip,riskLevel,message header.',
    });
  }
}

/** Counts the planned calls (and with a dry run prints them; with `postmanData` writes them as iteration data). */
async function planCalls(calls: AsyncIterable<PlannedCall>, settings: SendSettings, out: NodeJS.WriteStream): Promise<NonNullable<SendResult['plan']>> {
  const plan = { calls: 0, signals: 0, levels: { HIGH: 0, MEDIUM: 0, LOW: 0 }, fullCalls: 0, lastCallSignals: 0 };
  const data = settings.postmanData ? await open(settings.postmanData, 'w', 0o600) : undefined;
  try {
    await data?.write('[');
    for await (const call of calls) {
      plan.calls++;
      plan.signals += call.signals;
      plan.lastCallSignals = call.signals;
      if (call.signals === MAX_SIGNALS_PER_CALL) plan.fullCalls++;
      for (const level of RISK_LEVELS) plan.levels[level] += call.levels[level];
      if (settings.dryRun && settings.ssf) {
        const { ip, riskLevel, email } = call.events[0]!.subjects[0]!;
        out.write(`SET ${call.index}: user-risk-change ${riskLevel.toLowerCase()} for ${email ?? settings.ssf.subjectEmail} (IP ${ip})\n`);
      } else if (settings.dryRun) {
        const levels = RISK_LEVELS.filter((l) => call.levels[l] > 0).map((l) => `${l} ${call.levels[l]}`).join(', ');
        out.write(`call ${call.index}: ${call.events.length} events, ${call.signals} signals (${levels})\n`);
      }
      await data?.write(`${call.index === 1 ? '' : ','}\n${JSON.stringify({ riskEvents: JSON.stringify(call.events) })}`);
    }
    await data?.write('\n]\n');
  } finally {
    await data?.close();
  }
  return plan;
}

function signalLines(call: PlannedCall): string {
  return call.events
    .flatMap((e) => e.subjects.map((s) => JSON.stringify({ ...s, ...(e.timestamp !== undefined && { timestamp: e.timestamp }), ...(e.expiresAt !== undefined && { expiresAt: e.expiresAt }) })))
    .map((line) => `${line}\n`)
    .join('');
}

function outcomeOf(report: DeliveryReport): Outcome {
  return {
    interrupted: report.stopped?.reason === 'interrupted',
    // Refused before anything was taken: the org's configuration (no provider links the app), not the run.
    refused: report.stopped?.reason === 'refused' && report.acceptedSignals === 0,
    broken: report.stopped !== undefined || report.unconfirmedCalls > 0,
    failed: report.rejections.length > 0,
  };
}
