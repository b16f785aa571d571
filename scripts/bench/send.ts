/**
 * The `send` benchmark: 50,000 signals to the emulator.
 *
 * - signals per second and peak memory at 5k and at 50k signals: each run is a child process sending to an
 *   emulator in this process with a rate limit that never binds, through the real-org path (client id and key
 *   file only). Rounds alternate 5k and 50k after a warm-up pair; medians.
 * - subjects per call against the 1,000 ceiling (every call but the last).
 * - `--via ssf` side by side: signals per second sending 1,000 signals as one SET each, through the same child
 *   and real-org path (issuer and key file only), against the Risk Events API's rate above.
 * - the share of the rate-limit budget used when the limit binds: in process, emulator and sender on one
 *   manual clock (no real waiting), the guide's 3 calls a minute over several windows; calls made / calls the
 *   windows allowed, from the first call to the reset of the last window.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { resolveSendSettings } from '../../src/config/send-settings.ts';
import { ManualClock } from '../../src/emulator/index.ts';
import { generateProviderKeyPair, writeKeyPair } from '../../src/keys/index.ts';
import { provisionEmulator } from '../../src/send/provision-emulator.ts';
import { provisionSsfEmulator } from '../../src/send/provision-ssf-emulator.ts';
import { sendSignals } from '../../src/send/send-signals.ts';
import { MAX_SIGNALS_PER_CALL } from '../../src/send/signal.ts';
import { median, type Figure } from './figures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./send-child.ts', import.meta.url));

interface ChildResult {
  ms: number;
  exitCode: number;
  peakHeapMb: number;
  maxRssMb: number;
  signals: number;
  requests: number;
  calls: number;
  fullCalls: number;
  lastCallSignals: number;
}

/** `n` distinct signals, levels mixed, one feed export's timestamp and expiry (NDJSON). */
export function signalFeed(n: number, options: { expiresAt?: boolean } = {}): string {
  const levels = ['LOW', 'MEDIUM', 'HIGH'];
  const lines: string[] = [];
  // A SET has no expiry claim (--via ssf refuses expiresAt): the SSF feed leaves it out.
  const expiry = options.expiresAt === false ? {} : { expiresAt: '2026-12-04T00:00:00.000Z' };
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, riskLevel: levels[(i * 7) % 3], message: `Detected suspicious activity ${i}`, timestamp: '2026-12-03T00:00:00.000Z', ...expiry }));
  }
  return `${lines.join('\n')}\n`;
}

/** Signals of the `--via ssf` runs: one request each, so far fewer than the packed runs for the same time. */
const SSF_SIGNALS = 1_000;

export interface SendBenchOptions {
  dir: string;
  rounds: number;
  track: (child: ChildProcess) => void;
  log: (line: string) => void;
}

export async function measureSend(options: SendBenchOptions): Promise<{ figures: Figure[]; notes: string[] }> {
  const { dir } = options;
  const small = join(dir, 'signals-5k.ndjson');
  const large = join(dir, 'signals-50k.ndjson');
  await writeFile(small, signalFeed(5_000));
  await writeFile(large, signalFeed(50_000));
  const ssfFeed = join(dir, 'signals-ssf-1k.ndjson');
  await writeFile(ssfFeed, signalFeed(SSF_SIGNALS, { expiresAt: false }));
  const keys = await generateProviderKeyPair();
  const { privateJwkFile } = await writeKeyPair(join(dir, 'send-key'), keys);
  const realClock = { now: Date.now, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
  const org = await provisionEmulator({ keys, clock: realClock, emulator: { eventsRateLimit: 1_000_000 } });
  const ssfOrg = await provisionSsfEmulator({ keys, clock: realClock, subjectEmails: ['admin@example.com'], setRateLimit: 1_000_000 });
  const runs: Record<'5k' | '50k' | 'speed' | 'ssf', ChildResult[]> = { '5k': [], '50k': [], speed: [], ssf: [] };
  try {
    for (let round = 0; round <= options.rounds; round++) {
      // Memory runs collect garbage before each sample (--expose-gc), which costs time: speed runs do not.
      for (const [name, file, gc] of [['5k', small, true], ['50k', large, true], ['speed', large, false], ['ssf', ssfFeed, false]] as const) {
        const target = name === 'ssf' ? [ssfOrg.orgUrl, '-', privateJwkFile, file, join(dir, 'send-work'), ssfOrg.issuer] : [org.orgUrl, org.clientId, privateJwkFile, file, join(dir, 'send-work')];
        const result = await runChild(target, gc, options.track);
        if (result.exitCode !== 0) throw new Error(`send of ${name} signals ended with exit code ${result.exitCode}`);
        if (round > 0) runs[name].push(result);
        if (name === 'speed') options.log(`   round ${round === 0 ? 'warm-up' : round}: 50k signals in ${result.ms.toFixed(0)} ms`);
        if (name === 'ssf') options.log(`   round ${round === 0 ? 'warm-up' : round}: ${SSF_SIGNALS} signals --via ssf in ${result.ms.toFixed(0)} ms`);
      }
    }
  } finally {
    await org.close();
    await ssfOrg.close();
  }
  const last = runs.speed[0]!;
  const rate = median(runs.speed.map((r) => r.signals / (r.ms / 1000)));
  const ssfRate = median(runs.ssf.map((r) => r.signals / (r.ms / 1000)));
  const heap5 = median(runs['5k'].map((r) => r.peakHeapMb));
  const heap50 = median(runs['50k'].map((r) => r.peakHeapMb));
  const rss5 = median(runs['5k'].map((r) => r.maxRssMb));
  const rss50 = median(runs['50k'].map((r) => r.maxRssMb));
  // Every call but the last: its subjects against the ceiling.
  const perCall = last.calls > 1 ? (last.signals - last.lastCallSignals) / (last.calls - 1) : last.signals;

  const budget = await measureBudget();
  return {
    figures: [
      { name: 'send.signals.rps', value: rate, unit: 'signals/s' },
      { name: 'send.ssf.signals.rps', value: ssfRate, unit: 'signals/s', vs: { baseline: 'send.signals.rps', ratio: ssfRate / rate } },
      { name: 'send.heap.live.5k', value: heap5, unit: 'MB' },
      { name: 'send.heap.live.50k', value: heap50, unit: 'MB', vs: { baseline: 'send.heap.live.5k', ratio: heap50 / heap5 }, goal: { op: '<=', ratio: 1.2 } },
      { name: 'send.rss.peak.5k', value: rss5, unit: 'MB' },
      { name: 'send.rss.peak.50k', value: rss50, unit: 'MB', vs: { baseline: 'send.rss.peak.5k', ratio: rss50 / rss5 }, goal: { op: '<=', ratio: 1.2 } },
      { name: 'send.subjects.per.call', value: perCall, unit: 'subjects', vs: { baseline: 'the 1,000 ceiling', ratio: perCall / MAX_SIGNALS_PER_CALL }, goal: { op: '>=', ratio: 1 } },
      { name: 'send.budget.used', value: budget.share * 100, unit: '%', vs: { baseline: 'the rate limit', ratio: budget.share }, goal: { op: '>=', ratio: 0.95 } },
    ],
    notes: [
      `send --via ssf: ${SSF_SIGNALS} signals as ${runs.ssf[0]!.requests} SETs (one request, one RS256 signature and one verification each), to an emulator in the bench's process; the Risk Events API packs 1,000 signals a call.`,
      `send: 50,000 signals in ${last.calls} calls (${last.requests} requests), ${last.fullCalls} calls at 1,000 subjects, the last at ${last.lastCallSignals}.`,
      'send: heap.live is the peak heap sampled every 20 ms right after a forced collection (what the run holds); rss.peak is the process maximum, the tsx loader included.',
      `send: budget measured over ${budget.calls} calls at ${budget.limit} a minute (${budget.windows.toFixed(2)} windows of the manual clock, ${(budget.waitedMs / 1000).toFixed(0)} s waited).`,
    ],
  };
}

async function runChild(args: string[], gc: boolean, track: (child: ChildProcess) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(gc ? ['--expose-gc'] : []), '--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    track(child);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult);
      } catch {
        reject(new Error(`the send child exited with ${code} and printed ${stdout.slice(0, 200)}`));
      }
    });
  });
}

/** The share of the events budget used while the limit binds, on a manual clock shared by org and sender. */
async function measureBudget(): Promise<{ share: number; calls: number; limit: number; windows: number; waitedMs: number }> {
  const limit = 3;
  const signals = 15_000;
  const clock = new ManualClock(Date.UTC(2026, 11, 3));
  const quiet = new Writable({ write: (_c, _e, done) => done() }) as unknown as NodeJS.WriteStream;
  const settings = resolveSendSettings({ flags: { eventsRateLimit: limit, workDir: join(ROOT, '.runs') }, env: {}, cwd: ROOT });
  let firstCallAt = 0;
  const result = await sendSignals({
    settings,
    stdin: Readable.from([signalFeed(signals)]),
    clock: { now: () => clock.now(), sleep: async (ms) => clock.advance(ms) },
    emulator: { clock },
    streams: { out: quiet, err: quiet },
    progress: { start: () => void (firstCallAt = clock.now()), stop() {} },
  });
  const delivery = result.delivery!;
  if (result.exitCode !== 0 || delivery.lastResetAt === undefined) throw new Error(`the budget run ended with exit code ${result.exitCode}`);
  const windows = (delivery.lastResetAt - firstCallAt) / 60_000;
  return { share: delivery.acceptedCalls / (limit * windows), calls: delivery.acceptedCalls, limit, windows, waitedMs: delivery.waitedMs };
}
