/**
 * `npm run bench`: the harness's benchmarks, measured side by side in one run.
 *
 * 1. Emulator throughput on the events and token endpoints against a bare `node:http` server, load from a
 *    forked client process, interleaved round by round (`scripts/bench/throughput.ts`).
 * 2. `okta-risk verify` wall time against a plain `newman run` of the same collection, alternating
 *    (`scripts/bench/wall-time.ts`); when verify misses its goal, a profile of where its time goes.
 *    2b. `okta-risk --help` compiled (dist/) against the same help through tsx (src/), alternating.
 *
 * Prints a table (each figure as a ratio to its baseline, with its goal) and writes `reports/bench.json` as
 * `[{name, value, unit}]`. Everything listens on loopback; every child process is killed on the way out.
 *
 * 3. `okta-risk send`: 50,000 signals to the emulator: signals per second, peak memory at 5k and 50k
 *    signals, subjects per call, and the share of the rate-limit budget used when it binds
 *    (`scripts/bench/send.ts`).
 *
 * 4. Memory: the emulator's live heap after 10,000 and after 100,000 accepted events calls, each in a fresh
 *    process, and their ratio (`scripts/bench/memory.ts`).
 *
 * Options: --rounds N (5), --round-ms MS (1000), --connections N (16), --runs N (5), --client raw|http
 * (raw: node:net sockets, the lighter load; http: node:http Agent), --only throughput|wall|help|send|memory,
 * --send-rounds N (3), --memory-rounds N (1), --profile
 * (profile verify even when it meets its goal), --no-profile.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTable, median, met, toEntries, type Figure } from './bench/figures.ts';
import { LoadClient } from './bench/load.ts';
import { measureThroughput } from './bench/throughput.ts';
import { measureMemory } from './bench/memory.ts';
import { measureSend } from './bench/send.ts';
import { measureHelp, measureWallTime, profileVerify, type WallTimeOptions } from './bench/wall-time.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORT_FILE = join(ROOT, 'reports', 'bench.json');

/** The JSON names of the ratio entries, by the figure they compare. */
const RATIO_NAMES: Record<string, string> = {
  'emulator.events.rps': 'emulator.events.ratio',
  'emulator.tokens.rps': 'emulator.tokens.ratio',
  'verify.wall.median': 'verify.vs.newman.ratio',
  'verify.defaults.wall.median': 'verify.defaults.vs.newman.ratio',
  'emulator.heap.live.100k.calls': 'emulator.heap.100k.vs.10k.ratio',
  'help.dist.median': 'help.dist.vs.tsx.ratio',
};

type Child = Parameters<WallTimeOptions['track']>[0];

function positive(name: string, text: string | undefined, fallback: number, max: number): number {
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new TypeError(`--${name} must be a whole number from 1 to ${max}, got ${text}`);
  return value;
}

type Section = 'throughput' | 'wall' | 'help' | 'send' | 'memory';
const SECTIONS: readonly Section[] = ['throughput', 'wall', 'help', 'send', 'memory'];

function readOptions(): { rounds: number; roundMs: number; connections: number; runs: number; sendRounds: number; memoryRounds: number; client: 'raw' | 'http'; only?: Section; profile?: boolean } {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      'round-ms': { type: 'string' },
      connections: { type: 'string' },
      runs: { type: 'string' },
      'send-rounds': { type: 'string' },
      'memory-rounds': { type: 'string' },
      only: { type: 'string' },
      client: { type: 'string' },
      profile: { type: 'boolean' },
      'no-profile': { type: 'boolean' },
    },
    strict: true,
  });
  if (values.client !== undefined && values.client !== 'raw' && values.client !== 'http') throw new TypeError(`--client takes raw or http, got ${values.client}`);
  if (values.only !== undefined && !(SECTIONS as readonly string[]).includes(values.only)) throw new TypeError(`--only takes ${SECTIONS.join(', ')}, got ${values.only}`);
  return {
    // Bounded, so the bench always ends: at most 20 rounds of 10 s, 20 runs.
    rounds: positive('rounds', values.rounds, 5, 20),
    roundMs: positive('round-ms', values['round-ms'], 1000, 10_000),
    connections: positive('connections', values.connections, 16, 256),
    runs: positive('runs', values.runs, 5, 20),
    sendRounds: positive('send-rounds', values['send-rounds'], 3, 10),
    memoryRounds: positive('memory-rounds', values['memory-rounds'], 1, 5),
    client: values.client === 'http' ? 'http' : 'raw',
    ...(values.only === undefined ? {} : { only: values.only as Section }),
    ...(values.profile ? { profile: true } : values['no-profile'] ? { profile: false } : {}),
  };
}

async function main(): Promise<number> {
  const options = readOptions();
  const began = performance.now();
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const children = new Set<Child>();
  const track = (child: Child): void => void children.add(child);
  const killChildren = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  let load: LoadClient | undefined;
  // Last resort: whatever happens, no child outlives the bench.
  process.on('exit', () => {
    load?.kill();
    killChildren();
  });
  const dir = await mkdtemp(join(tmpdir(), 'okta-risk-bench-'));
  const onSignal = (): void => {
    process.stderr.write('\nInterrupted: stopping the bench and its child processes.\n');
    load?.kill();
    killChildren();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const figures: Figure[] = [];
  const notes: string[] = [];
  let profileLines: string[] = [];
  try {
    if (options.only === undefined || options.only === 'throughput') {
      log(`1. Emulator throughput: ${options.rounds} rounds (+1 warm-up) of ${options.roundMs} ms per contender, ${options.connections} keep-alive connections from a child process (${options.client} client)`);
      load = new LoadClient();
      const throughput = await measureThroughput({ load, rounds: options.rounds, roundMs: options.roundMs, connections: options.connections, client: options.client, log });
      await load.close();
      log(`   (${((performance.now() - began) / 1000).toFixed(1)} s)`);
      figures.push(...throughput.figures);
      notes.push(...throughput.notes);
    }
    if (options.only === undefined || options.only === 'wall') {
      log(`2. verify vs plain newman: ${options.runs} runs each (+1 warm-up pair), alternating`);
      const wall = await measureWallTime({ runs: options.runs, dir, track, log });
      figures.push(...wall.figures);
      notes.push(...wall.notes);
      log(`   (${((performance.now() - began) / 1000).toFixed(1)} s)`);
      const verdict = met(wall.figures.find((f) => f.name === 'verify.wall.median')!);
      if (options.profile ?? verdict === false) {
        log('   profiling verify (where the time goes)…');
        const profile = await profileVerify({ dir, track, verifyMs: median(wall.verifyMs), newmanMs: median(wall.newmanMs), newmanRunMs: median(wall.newmanRunMs) });
        figures.push(...profile.figures);
        profileLines = profile.lines;
      }
    }
    if (options.only === undefined || options.only === 'help') {
      log(`2b. okta-risk --help: compiled (bin/okta-risk.js -> dist/) vs through tsx (src/cli.ts), ${options.runs} pairs (+1 warm-up), alternating`);
      figures.push(...(await measureHelp({ runs: options.runs, track, log })));
      log(`   (${((performance.now() - began) / 1000).toFixed(1)} s)`);
    }
    if (options.only === undefined || options.only === 'send') {
      log(`3. okta-risk send: 5k and 50k signals to the emulator, ${options.sendRounds} rounds (+1 warm-up), each in its own process; the budget on a manual clock`);
      const send = await measureSend({ dir, rounds: options.sendRounds, track, log });
      figures.push(...send.figures);
      notes.push(...send.notes);
      log(`   (${((performance.now() - began) / 1000).toFixed(1)} s)`);
    }
    if (options.only === undefined || options.only === 'memory') {
      log(`4. Emulator memory: live heap after 10k and after 100k accepted events calls, ${options.memoryRounds} round(s), each size in a fresh process`);
      const memory = await measureMemory({ rounds: options.memoryRounds, track, log });
      figures.push(...memory.figures);
      notes.push(...memory.notes);
      log(`   (${((performance.now() - began) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await load?.close();
    killChildren();
    await rm(dir, { recursive: true, force: true });
  }

  log('');
  log(formatTable(figures));
  log('');
  log('Ratios are medians of per-round ratios (each pair ran back to back); values are medians over the rounds.');
  for (const note of notes) log(`- ${note}`);
  if (profileLines.length > 0) {
    log('');
    log('Where verify spends its time:');
    for (const line of profileLines) log(`  ${line}`);
  }
  await mkdir(join(ROOT, 'reports'), { recursive: true });
  await writeFile(REPORT_FILE, `${JSON.stringify(toEntries(figures, RATIO_NAMES), null, 2)}\n`);
  log('');
  log(`Wrote ${REPORT_FILE} (${((performance.now() - began) / 1000).toFixed(1)} s in all).`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
