/**
 * The memory benchmark: the emulator's live heap after 10,000 and after 100,000 accepted risk events calls, each
 * run in a fresh process (`memory-child.ts`, --expose-gc), side by side, and their ratio. The System Log keeps
 * at most 10,000 events and the signal list 100,000 (`src/okta/limits.ts`), so the heap after 100k calls is
 * bounded by those maxima, not by the number of calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, type Figure } from './figures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
export const MEMORY_CALLS = [10_000, 100_000] as const;

interface ChildResult {
  calls: number;
  ms: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  logs: number;
  signals: number;
  assertionJtis: number;
}

export interface MemoryBenchOptions {
  rounds: number;
  track: (child: ChildProcess) => void;
  log: (line: string) => void;
}

function runChild(calls: number, track: (child: ChildProcess) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, String(calls)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    track(child);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
    // Bounded, so the bench always ends: 100k calls take well under a minute on the 2-core machine.
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult);
      } catch {
        reject(new Error(`the memory child exited with ${code} and printed ${stdout.slice(0, 200)}`));
      }
    });
  });
}

export async function measureMemory(options: MemoryBenchOptions): Promise<{ figures: Figure[]; notes: string[] }> {
  const runs = new Map<number, ChildResult[]>(MEMORY_CALLS.map((n) => [n, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const calls of MEMORY_CALLS) {
      const result = await runChild(calls, options.track);
      if (result.calls !== calls) throw new Error(`the memory run of ${calls} calls accepted ${result.calls}`);
      runs.get(calls)!.push(result);
      options.log(`   round ${round}: ${calls} calls in ${(result.ms / 1000).toFixed(1)} s, live heap ${result.heapAfterMb.toFixed(1)} MB (System Log ${result.logs} events, ${result.signals} signals)`);
    }
  }
  const [small, large] = MEMORY_CALLS.map((n) => runs.get(n)!);
  const heapSmall = median(small!.map((r) => r.heapAfterMb));
  const heapLarge = median(large!.map((r) => r.heapAfterMb));
  const ratios = large!.map((r, i) => r.heapAfterMb / small![i]!.heapAfterMb);
  const last = large!.at(-1)!;
  return {
    figures: [
      { name: 'emulator.heap.live.10k.calls', value: heapSmall, unit: 'MB' },
      { name: 'emulator.heap.live.100k.calls', value: heapLarge, unit: 'MB', vs: { baseline: 'emulator.heap.live.10k.calls', ratio: median(ratios) } },
      { name: 'emulator.heap.live.before.calls', value: median(small!.map((r) => r.heapBeforeMb)), unit: 'MB', detail: true },
    ],
    notes: [
      `memory: live heap of the emulator's process after a forced collection, each size in a fresh process; after 100k calls it held ${last.logs} System Log events (maximum 10,000), ${last.signals} signals (maximum 100,000) and ${last.assertionJtis} assertion jti.`,
    ],
  };
}
