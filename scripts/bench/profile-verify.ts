/**
 * Where a `verify` run spends its time, measured from inside one process (forked by the bench, run with
 * tsx as loader like `bin/okta-risk.js`): process start, loading the CLI's module graph, one key pair's
 * generation, each `newman.run` (wrapped on Newman's module object, which `newman-phase.ts` shares), the
 * phases, and what follows the last Newman run (journal check and reports). Sends a {@link VerifyProfile}
 * over IPC. Argument: a scratch directory for reports and run state.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';

// Taken first: node's own start, tsx's loader and this file's few imports.
const startedMs = performance.now();

export interface VerifyProfile {
  type: 'profile';
  /** From process start to this script's first line: node, tsx's loader, node built-ins. */
  processStartMs: number;
  /** Importing `src/cli.ts`: the whole CLI graph (yargs, newman, jose, handlebars, the harness), transpiled by tsx. */
  importCliMs: number;
  /** Importing the `newman` package alone (part of the above; plain newman pays it too). */
  importNewmanMs: number;
  /** Median of a few RSA 2048 key pair generations (verify makes two per run: the provider's during start-up, the org's once start-up is over). */
  keyGenerationMs: number;
  /** Time this script spent on its own measurements (the key generations), not part of a verify run. */
  ownMs: number;
  /** The `verify()` call, from start to result. */
  verifyMs: number;
  exitCode: number;
  /** Each `newman.run`, from the call to its callback, in order. */
  newmanRuns: Array<{ target: string; ms: number; requests: number }>;
  /** Milliseconds from `verify()`'s start to each phase boundary it announced. */
  phases: Array<{ phase: string; atMs: number }>;
  /** From the last Newman run's end to `verify()`'s return: journal check, fallback cleanup, reports. */
  afterLastRunMs: number;
}

interface NewmanModule {
  run(options: { folder?: string }, callback: (error: unknown, summary: { run?: { executions?: unknown[] } }) => void): unknown;
}

async function profile(dir: string): Promise<VerifyProfile> {
  const processStartMs = startedMs;
  const require = createRequire(import.meta.url);
  let t = performance.now();
  const newman = require('newman') as NewmanModule;
  const importNewmanMs = performance.now() - t;

  t = performance.now();
  await import('../../src/cli.ts');
  const importCliMs = performance.now() - t + importNewmanMs;

  const { generateProviderKeyPair } = await import('../../src/keys/index.ts');
  const { resolveVerifySettings } = await import('../../src/config/settings.ts');
  const { verify } = await import('../../src/run/verify.ts');

  const generations: number[] = [];
  const ownStarted = performance.now();
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    await generateProviderKeyPair();
    generations.push(performance.now() - t);
  }
  generations.sort((a, b) => a - b);
  const ownMs = performance.now() - ownStarted;

  // newman-phase.ts calls `newman.run` on this same CommonJS exports object, so the wrapper sees every run.
  const newmanRuns: VerifyProfile['newmanRuns'] = [];
  let lastRunEnd = 0;
  const run = newman.run.bind(newman);
  newman.run = (options, callback) => {
    const began = performance.now();
    return run(options, (error, summary) => {
      lastRunEnd = performance.now();
      newmanRuns.push({ target: options.folder ?? '(collection)', ms: lastRunEnd - began, requests: summary?.run?.executions?.length ?? 0 });
      callback(error, summary);
    });
  };

  const phases: VerifyProfile['phases'] = [];
  const settings = resolveVerifySettings({
    flags: { emulator: true, reporters: ['junit', 'htmlextra'], reportsDir: join(dir, 'reports'), workDir: join(dir, 'work') },
    env: {},
    cwd: dir,
  });
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() }) as unknown as NodeJS.WriteStream;
  const began = performance.now();
  const result = await verify({ settings, streams: { out: sink, err: sink }, onPhase: (phase) => void phases.push({ phase, atMs: performance.now() - began }) });
  const ended = performance.now();
  return {
    type: 'profile',
    processStartMs,
    importCliMs,
    importNewmanMs,
    keyGenerationMs: generations[Math.floor(generations.length / 2)]!,
    ownMs,
    verifyMs: ended - began,
    exitCode: result.exitCode,
    newmanRuns,
    phases,
    afterLastRunMs: lastRunEnd > 0 ? ended - lastRunEnd : 0,
  };
}

if (process.send) {
  const dir = process.argv[2];
  if (!dir) throw new TypeError('profile-verify: pass a scratch directory');
  profile(dir).then(
    (result) => process.send!(result, () => process.disconnect()),
    (error: unknown) => process.send!({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.disconnect()),
  );
}
