/**
 * Part 2: `okta-risk verify` against its embedded emulator, timed end to end as a process, side by side with
 * a plain `newman run` of the same collection against a standalone emulator in this process, given an
 * environment rendered with `renderEnvironment`. They alternate (verify, newman, verify with its default reporters, newman without the key, …)
 * after one warm-up round that fills tsx's transform cache and the disk cache; medians of the rest.
 *
 * Plain Newman gets clientPrivateKey in its environment, as a Postman user would: the collection mints its own
 * client assertion (one more request: the token request runs twice), and every request passes, as verify's
 * do. Each round also times the same plain run without the key (`newman.no-key`, the baseline until
 * 2026-12-04 23:15 UTC), whose token, events and System Log requests fail for want of an assertion.
 */
import { spawn, fork } from 'node:child_process';
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { COLLECTION_FILE } from '../../src/collection/collection.ts';
import { buildEmulator, type Emulator } from '../../src/emulator/index.ts';
import { renderEnvironment } from '../../src/environment/render-environment.ts';
import { countSignals, GUIDE_SAMPLE_EVENTS } from '../../src/events/risk-events.ts';
import { generateProviderKeyPair } from '../../src/keys/index.ts';
import { median, pairedRatio, type Figure } from './figures.ts';
import type { VerifyProfile } from './profile-verify.ts';

export interface WallTimeOptions {
  /** Timed runs of each (after one warm-up pair). */
  runs: number;
  /** A private scratch directory (reports, run state, rendered environments). */
  dir: string;
  /** Called with every child process started, so the bench can kill it if it dies first. */
  track: (child: { pid?: number | undefined; kill(signal?: NodeJS.Signals): boolean; exitCode: number | null; signalCode: NodeJS.Signals | null }) => void;
  log: (line: string) => void;
}

export interface WallTimeResult {
  figures: Figure[];
  notes: string[];
  verifyMs: number[];
  newmanMs: number[];
  /** Newman's own "total run duration" of each timed run. */
  newmanRunMs: number[];
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OKTA_RISK_BIN = join(ROOT, 'bin/okta-risk.js');
const NEWMAN_BIN = join(ROOT, 'node_modules/.bin/newman');
const PROFILE_FILE = fileURLToPath(new URL('./profile-verify.ts', import.meta.url));
/** No single process may run longer than this; a hung run is killed and the bench fails. */
const PROCESS_TIMEOUT_MS = 60_000;

interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment the children get: never an org's credentials, so nothing can reach past loopback. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.OKTA_CLIENT_ORGURL;
  delete env.OKTA_CLIENT_TOKEN;
  return env;
}

function timeProcess(command: string, args: string[], track: WallTimeOptions['track']): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      if (signal) return reject(new Error(`${command} ${args[0] ?? ''} was killed (${signal}) after ${ms.toFixed(0)} ms`));
      resolve({ ms, code, stdout, stderr });
    });
  });
}

/** The requests Newman's cli reporter lists as failed (`inside "Folder / Request"`). */
function failedRequests(stdout: string): string[] {
  return [...new Set([...stdout.matchAll(/inside "([^"]+)"/g)].map((m) => m[1]!))];
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export async function measureWallTime(options: WallTimeOptions): Promise<WallTimeResult> {
  const { runs, dir, track, log } = options;
  const notes: string[] = [];
  let emulator: Emulator | undefined;
  try {
    emulator = await buildEmulator();
    const url = await emulator.listen({ port: 0, host: '127.0.0.1' });
    const keys = await generateProviderKeyPair();
    await mkdir(join(dir, 'environments'), { recursive: true, mode: 0o700 });

    /**
     * `htmlextra`: the same reporters as plain newman (the headline comparison); otherwise verify's defaults,
     * what `npm run verify` writes (cli, JUnit, and its own self-contained report.html instead of htmlextra).
     */
    const runVerify = async (reporters: 'htmlextra' | 'defaults'): Promise<Timed> => {
      const timed = await timeProcess(
        process.execPath,
        // Both sides do the same job: the live cli output for a person, JUnit and HTML for CI.
        [OKTA_RISK_BIN, 'verify', '--emulator', ...(reporters === 'htmlextra' ? ['--reporters', 'cli', 'junit', 'htmlextra'] : []), '--reports-dir', join(dir, 'reports'), '--work-dir', join(dir, 'work')],
        track,
      );
      if (timed.code !== 0) throw new Error(`verify exited ${timed.code}:\n${lastLines(timed.stdout + timed.stderr, 20)}`);
      return timed;
    };
    let newmanIndex = 0;
    let newmanFailures: string[] = [];
    // Newman's own "total run duration": the one newman.run, without process start and module loading.
    let lastRunMs = Number.NaN;
    // The Postman app's way to a passing run: the collection mints its own client assertion from this key
    // (postman-runtime's JWT Bearer auth; README, "The collection mints its own client assertion"). It goes
    // only into the bench's own 0600 environment files; okta-risk never writes a private key into one.
    const pem = createPrivateKey({ key: keys.privateJwk as JsonWebKey, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }).toString();
    /** `passing`: with clientPrivateKey, so every request passes as verify's do; else the token call fails for want of an assertion. */
    const runNewman = async (passing: boolean): Promise<Timed> => {
      // A fresh org each time, as verify gets one.
      emulator!.reset();
      const environment = renderEnvironment({
        url,
        apikey: emulator!.apiToken,
        providerName: 'Risk Provider Example',
        publicKey: JSON.stringify(keys.publicJwk),
        riskAction: 'enforce_and_log',
        riskEvents: JSON.stringify(GUIDE_SAMPLE_EVENTS),
        runStartedAt: new Date(Date.now() - 1000).toISOString(),
        expectedSignalCount: String(countSignals(GUIDE_SAMPLE_EVENTS)),
        logPollAttempts: '1',
        logPollIntervalMs: '0',
      });
      if (passing) {
        const values = environment.values as Array<{ key: string; value: string }>;
        values.find((v) => v.key === 'clientPrivateKey')!.value = pem;
      }
      const file = join(dir, 'environments', `newman-${++newmanIndex}.json`);
      await writeFile(file, JSON.stringify(environment), { mode: 0o600 });
      const timed = await timeProcess(
        NEWMAN_BIN,
        ['run', COLLECTION_FILE, '-e', file, '--reporters', 'cli,junit,htmlextra', '--reporter-junit-export', join(dir, 'newman', `junit-${newmanIndex}.xml`), '--reporter-htmlextra-export', join(dir, 'newman', `report-${newmanIndex}.html`), '--color', 'off'],
        track,
      );
      const requests = /requests\s*│\s*(\d+)\s*│\s*(\d+)/.exec(timed.stdout);
      // Passing, the token request runs twice: first to mint the assertion with JWT Bearer auth, then for real.
      const expected = passing ? '13' : '12';
      if (!requests || requests[1] !== expected) throw new Error(`plain newman did not run the ${expected} requests:\n${lastLines(timed.stdout + timed.stderr, 20)}`);
      if (passing && timed.code !== 0) throw new Error(`plain newman with clientPrivateKey did not pass (exit ${timed.code}):\n${lastLines(timed.stdout + timed.stderr, 30)}`);
      if (!passing) newmanFailures = failedRequests(timed.stdout);
      const duration = /total run duration: ([\d.]+)(ms|s)\b/.exec(timed.stdout);
      if (duration) lastRunMs = Number(duration[1]) * (duration[2] === 's' ? 1000 : 1);
      return timed;
    };

    const verifyMs: number[] = [];
    const newmanMs: number[] = [];
    const newmanRunMs: number[] = [];
    const failingMs: number[] = [];
    const defaultsMs: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const v = await runVerify('htmlextra');
      const n = await runNewman(true);
      const runMs = lastRunMs;
      const d = await runVerify('defaults');
      const f = await runNewman(false);
      if (i > 0) {
        verifyMs.push(v.ms);
        newmanMs.push(n.ms);
        newmanRunMs.push(runMs);
        defaultsMs.push(d.ms);
        failingMs.push(f.ms);
      }
      log(`  ${i === 0 ? 'warm-up' : `run ${i}`}: verify ${v.ms.toFixed(0)} ms (exit ${v.code}), newman ${n.ms.toFixed(0)} ms (exit ${n.code}), verify with its default reporters ${d.ms.toFixed(0)} ms, newman without clientPrivateKey ${f.ms.toFixed(0)} ms (exit ${f.code})`);
    }
    notes.push(
      'plain newman is given clientPrivateKey, as a Postman user would, so the collection mints its own client assertion and every request passes, as in verify ' +
        '(13 requests: the token request runs twice, once to mint the assertion); the comparison is of wall time for one full pass over the collection',
      'verify.defaults is `npm run verify` as a user runs it: its default reporters write cli, JUnit and its own report.html instead of htmlextra (also HTML for CI, not the same page); the goal is judged on verify.wall, with the same reporters as plain newman',
      `newman.no-key (verify.vs.no-key.ratio in reports/bench.json) is the same plain run without clientPrivateKey, the baseline before 2026-12-04 23:15 UTC: it cannot mint the client assertion, so these failed: ${newmanFailures.join('; ') || '(none?)'}`,
    );

    const baseline = 'newman.wall.median';
    const figures: Figure[] = [
      { name: baseline, value: median(newmanMs), unit: 'ms' },
      { name: 'verify.wall.median', value: median(verifyMs), unit: 'ms', vs: { baseline, ratio: pairedRatio(verifyMs, newmanMs) }, goal: { op: '<=', ratio: 1.2 } },
      { name: 'verify.defaults.wall.median', value: median(defaultsMs), unit: 'ms', vs: { baseline, ratio: pairedRatio(defaultsMs, newmanMs) } },
      { name: 'newman.no-key.wall.median', value: median(failingMs), unit: 'ms', detail: true },
      { name: 'verify.vs.no-key.ratio', value: pairedRatio(verifyMs, failingMs), unit: 'ratio', detail: true },
      { name: 'newman.wall.min', value: Math.min(...newmanMs), unit: 'ms', detail: true },
      { name: 'verify.wall.min', value: Math.min(...verifyMs), unit: 'ms', detail: true },
      { name: 'newman.run.median', value: median(newmanRunMs), unit: 'ms', detail: true },
    ];
    return { figures, notes, verifyMs, newmanMs, newmanRunMs };
  } finally {
    await emulator?.close();
  }
}

/** `okta-risk --help` as the bin runs it: the compiled CLI in dist/, after bin/build.js's up-to-date check. */
const HELP_DIST = [OKTA_RISK_BIN, '--help'];
/**
 * The same help through tsx's loader, as the CLI ran before it was compiled. src/cli.ts runs main() when it is
 * the entry file, so `--help` stays in process.argv (an `-e` wrapper would leave it out of hideBin's slice).
 */
const HELP_TSX = ['--import', 'tsx', join(ROOT, 'src/cli.ts'), '--help'];
/** The first line of the help text: a run that printed anything else timed something else. */
const HELP_FIRST_LINE = 'okta-risk <command> [options]';

async function timeHelp(args: string[], track: WallTimeOptions['track']): Promise<number> {
  const timed = await timeProcess(process.execPath, args, track);
  if (timed.code !== 0 || !timed.stdout.startsWith(HELP_FIRST_LINE)) {
    throw new Error(`node ${args.join(' ')} did not print the help (exit ${timed.code}):\n${lastLines(timed.stdout + timed.stderr, 10)}`);
  }
  return timed.ms;
}

/**
 * `okta-risk --help` wall time, compiled (dist/) side by side with tsx (src/), alternating after one warm-up
 * pair that fills tsx's transform cache; the ratio is the median of the per-pair ratios.
 */
export async function measureHelp(options: { runs: number; track: WallTimeOptions['track']; log: WallTimeOptions['log'] }): Promise<Figure[]> {
  const { runs, track, log } = options;
  const distMs: number[] = [];
  const tsxMs: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const dist = await timeHelp(HELP_DIST, track);
    const tsx = await timeHelp(HELP_TSX, track);
    if (i > 0) {
      distMs.push(dist);
      tsxMs.push(tsx);
    }
    log(`  ${i === 0 ? 'warm-up' : `run ${i}`}: --help compiled ${dist.toFixed(0)} ms, through tsx ${tsx.toFixed(0)} ms`);
  }
  const baseline = 'help.tsx.median';
  return [
    { name: baseline, value: median(tsxMs), unit: 'ms' },
    { name: 'help.dist.median', value: median(distMs), unit: 'ms', vs: { baseline, ratio: pairedRatio(distMs, tsxMs) } },
    { name: 'help.dist.min', value: Math.min(...distMs), unit: 'ms', detail: true },
    { name: 'help.tsx.min', value: Math.min(...tsxMs), unit: 'ms', detail: true },
  ];
}

/** Median wall time of `runs` runs of a command (process start and module loading, nothing else). */
async function startCost(command: string, args: string[], runs: number, track: WallTimeOptions['track']): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timeProcess(command, args, track)).ms);
  return median(times);
}

export interface ProfileResult {
  figures: Figure[];
  lines: string[];
}

function forkProfile(dir: string, track: WallTimeOptions['track']): Promise<{ profile: VerifyProfile; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = fork(PROFILE_FILE, [dir], { cwd: ROOT, env: childEnv(), execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    track(child);
    let profile: VerifyProfile | undefined;
    let failure: string | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    child.on('message', (message: VerifyProfile | { type: 'failed'; message: string }) => {
      if (message.type === 'failed') failure = message.message;
      else profile = message;
    });
    // 'close', not 'exit': by then every IPC message has been delivered and the process is gone.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (profile) resolve({ profile, wallMs });
      else reject(new Error(`profiling verify failed (code ${code}, signal ${signal}): ${failure ?? 'no result'}`));
    });
  });
}

function row(label: string, verify: string, newman: string, why: string): string {
  return `${label.padEnd(34)}${verify.padStart(12)}${newman.padStart(14)}   ${why}`;
}

/**
 * Splits a verify run's time into start-up, module loading, set-up, Newman runs and reports, next to the
 * same parts of a plain newman run, to say where the difference goes.
 */
export async function profileVerify(options: {
  dir: string;
  track: WallTimeOptions['track'];
  /** Medians measured side by side, to set the profile against. */
  verifyMs: number;
  newmanMs: number;
  newmanRunMs: number;
}): Promise<ProfileResult> {
  const { dir, track } = options;
  const nodeStart = await startCost(process.execPath, ['-e', '0'], 3, track);
  const newmanStart = await startCost(NEWMAN_BIN, ['--version'], 3, track);
  const cliStart = await startCost(process.execPath, HELP_DIST, 3, track);

  const scratch = join(dir, 'profile');
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  const { profile, wallMs } = await forkProfile(scratch, track);

  const runsMs = profile.newmanRuns.reduce((sum, r) => sum + r.ms, 0);
  const perRun = profile.newmanRuns.length > 0 ? runsMs / profile.newmanRuns.length : 0;
  const requests = profile.newmanRuns.reduce((sum, r) => sum + r.requests, 0);
  const setupMs = profile.phases[0]?.atMs ?? 0;
  const betweenMs = profile.verifyMs - setupMs - runsMs - profile.afterLastRunMs;
  // The profiling process without its own measurements: one verify run as a process, seen from here.
  const processMs = wallMs - profile.ownMs;
  const verifyOther = processMs - profile.processStartMs - profile.importCliMs - profile.verifyMs;
  const newmanModules = Math.max(0, newmanStart - nodeStart);
  const newmanOther = options.newmanMs - nodeStart - newmanModules - options.newmanRunMs;
  const ms = (value: number): string => `${value.toFixed(0)} ms`;
  const lines = [
    row('', 'verify', 'plain newman', ''),
    row('process start', ms(profile.processStartMs), ms(nodeStart), "verify: node + bin/okta-risk.js's build check; newman: node -e 0"),
    row('loading modules', ms(profile.importCliMs), ms(newmanModules), `verify: src/cli.ts's graph and Newman (${ms(profile.importNewmanMs)}), which verify loads while its keys are generated; newman: newman --version - node -e 0`),
    row('set-up before the first request', ms(setupMs), '-', `the provider's RSA 2048 key pair (~${ms(profile.keyGenerationMs)} alone; the emulator org's is made once start-up is over, during the first requests), emulator, reachability, provider choice`),
    row('newman.run', `${ms(runsMs)} (${profile.newmanRuns.length})`, `${ms(options.newmanRunMs)} (1)`, `verify ${requests} requests, plain newman 13 (its token request twice); verify's runs cost ~${ms(perRun)} each: ${profile.newmanRuns.map((r) => `${r.requests}:${r.ms.toFixed(0)}`).join(' ')}`),
    row('between runs', ms(betweenMs), '-', 'journal writes, assertion minting, org checks'),
    row('after the last run', ms(profile.afterLastRunMs), '-', 'journal check and the merged junit + htmlextra reports (plain newman writes the same reports inside its one run)'),
    row('other (exit, summary, noise)', ms(verifyOther), ms(newmanOther), 'verify: its profiled process minus the parts above; newman: its median minus the parts above'),
    row('total', ms(processMs), ms(options.newmanMs), `profiled once; the side-by-side medians were verify ${ms(options.verifyMs)}, newman ${ms(options.newmanMs)}`),
    `okta-risk --help (node + the compiled CLI graph, no work): ${ms(cliStart)}; against tsx, see help.dist.median in the table`,
  ];
  const figures: Figure[] = [
    { name: 'profile.node.start', value: nodeStart, unit: 'ms', detail: true },
    { name: 'profile.newman.version', value: newmanStart, unit: 'ms', detail: true },
    { name: 'profile.okta-risk.help', value: cliStart, unit: 'ms', detail: true },
    { name: 'profile.verify.process-start', value: profile.processStartMs, unit: 'ms', detail: true },
    { name: 'profile.verify.import-cli', value: profile.importCliMs, unit: 'ms', detail: true },
    { name: 'profile.verify.setup', value: setupMs, unit: 'ms', detail: true },
    { name: 'profile.verify.key-generation', value: profile.keyGenerationMs, unit: 'ms', detail: true },
    { name: 'profile.verify.newman-runs', value: profile.newmanRuns.length, unit: 'runs', detail: true },
    { name: 'profile.verify.newman-runs.total', value: runsMs, unit: 'ms', detail: true },
    { name: 'profile.verify.newman-run.mean', value: perRun, unit: 'ms', detail: true },
    { name: 'profile.verify.after-last-run', value: profile.afterLastRunMs, unit: 'ms', detail: true },
    { name: 'profile.verify.process', value: processMs, unit: 'ms', detail: true },
    { name: 'profile.newman.run', value: options.newmanRunMs, unit: 'ms', detail: true },
  ];
  return { figures, lines };
}
