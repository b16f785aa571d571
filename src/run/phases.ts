/**
 * A flow's phases as data, and the one loop that walks them. A phase names its requests (part or all of a
 * collection folder), how each may be retried, the hooks that journal what its requests change, and what runs
 * at its boundary before its first request. The loop runs as many phases as it can in ONE Newman run, in the
 * collection's order, pausing Newman at each boundary; the step runner falls back to a phase at a time, and a
 * request at a time, from the first request that needs another attempt.
 */
import type { FolderName, RequestName } from '../collection/collection.ts';
import type { PhaseHooks } from './newman-phase.ts';
import type { RetryPolicy, Segment } from './step-runner.ts';

/** The phase boundaries of verify, in order; `onPhase` is called with each. */
export const PHASE_IDS = ['create-service-app', 'update-provider', 'test-integration', 'send-risk-events', 'confirm-system-log', 'tear-down'] as const;
export type PhaseId = (typeof PHASE_IDS)[number];

/** How a phase goes, decided at its boundary. `R`: the collection's request names. */
export type PhaseStart<R extends string = RequestName> =
  /** All its requests, in the Newman run already going when there is one. */
  | { kind: 'requests' }
  /** Only these of its requests, in a Newman run of their own. */
  | { kind: 'only'; requests: readonly R[] }
  /** The phase runs itself (several events batches, each with its own boundary). */
  | { kind: 'own'; run(): Promise<void> }
  /** Nothing of it runs. */
  | { kind: 'skip' };

export const RUN_REQUESTS = { kind: 'requests' } as const satisfies PhaseStart;
export const SKIP = { kind: 'skip' } as const satisfies PhaseStart;

/**
 * One phase of a flow. `Id`: the flow's phase ids; `F`, `R`: its collection's folder and request names
 * (default: the Risk API collection's).
 */
export interface Phase<Id extends string = PhaseId, F extends string = FolderName, R extends string = RequestName> {
  id: Id;
  /** The collection folder the phase's requests are in. */
  folder: F;
  /** Its requests, in collection order. Default: the whole folder. */
  requests?: readonly R[];
  /** How a request may be sent again after a 5xx or a lost answer; default `never` (a 429 always is). */
  policies?: Partial<Record<R, RetryPolicy>>;
  /** What the runner does around each request (journal a create before it is sent, register a secret). */
  hooks?: PhaseHooks;
  /** Runs before each retry of a request (a fresh DPoP proof); the first attempt's is the boundary's job. */
  prepare?: Partial<Record<R, () => Promise<boolean>>>;
  /** A request the collection repeats while this is true (see `Segment.again`): the SSF flow's push, once per SET. */
  again?: Partial<Record<R, () => Promise<boolean>>>;
  /** A final phase runs whatever went before (the teardown); the others only while all goes well and no Ctrl-C. */
  final?: boolean;
  /** Runs at the boundary, before the phase's first request (Newman paused); default: all its requests. */
  before?(): Promise<PhaseStart<R> | void>;
}

/** What the loop needs of the step runner. */
export interface PhaseRunner<F extends string = FolderName, R extends string = RequestName> {
  /** False once a request failed for good. */
  readonly healthy: boolean;
  /** The final phase starts: healthy again, and Ctrl-C no longer cuts its waits short. */
  beginFinalPhase(): void;
  /**
   * Runs the segments' requests in one Newman run while all goes well, calling `enter` at each later
   * segment's boundary; returns how many segments are settled, and the start of the next when it was entered.
   */
  pass(segments: readonly Segment<R>[], enter?: (index: number) => Promise<PhaseStart<R>>): Promise<{ next: number; entered?: PhaseStart<R> }>;
  /** A folder's requests, in collection order. */
  requestsOf(folder: F): readonly R[];
}

export interface PhaseWalk<Id extends string = PhaseId, F extends string = FolderName, R extends string = RequestName> {
  runner: PhaseRunner<F, R>;
  /** Called at each boundary, before anything of the phase runs (tests interrupt runs here). */
  onPhase?(id: Id): void | Promise<void>;
  /** Ctrl-C: the phases that are not final are skipped from the next boundary on. */
  aborted(): boolean;
}

function segmentOf<F extends string, R extends string>(phase: Phase<string, F, R>, requests: readonly R[]): Segment<R> {
  return { requests, hooks: phase.hooks, policies: phase.policies, prepare: phase.prepare, again: phase.again };
}

/**
 * Walks the phases in order. A phase that throws (an org that refuses what the run needs) ends the walk: the
 * phases after it are skipped, the final ones still run, and the error is thrown again at the end.
 */
export async function runPhases<Id extends string, F extends string = FolderName, R extends string = RequestName>(
  phases: ReadonlyArray<Phase<Id, F, R>>,
  walk: PhaseWalk<Id, F, R>,
): Promise<void> {
  const requestsOf = (phase: Phase<Id, F, R>): readonly R[] => phase.requests ?? walk.runner.requestsOf(phase.folder);
  let failure: { error: unknown } | undefined;
  let current = -1;
  const enter = async (index: number): Promise<PhaseStart<R>> => {
    const phase = phases[index]!;
    current = index;
    await walk.onPhase?.(phase.id);
    if (!phase.final && (failure || walk.aborted() || !walk.runner.healthy)) return SKIP;
    if (phase.final) walk.runner.beginFinalPhase();
    return (await phase.before?.()) ?? RUN_REQUESTS;
  };
  let entered: PhaseStart<R> | undefined;
  for (let at = 0; at < phases.length; ) {
    const phase = phases[at]!;
    if (failure && !phase.final) {
      at++;
      continue;
    }
    try {
      const start = entered ?? (await enter(at));
      entered = undefined;
      if (start.kind === 'requests') {
        // This phase and, while all goes well, the ones after it, in one Newman run.
        const rest = phases.slice(at);
        const settled = await walk.runner.pass(rest.map((p) => segmentOf(p, requestsOf(p))), (k) => enter(at + k));
        at += settled.next;
        entered = settled.entered;
        continue;
      }
      if (start.kind === 'only') await walk.runner.pass([segmentOf(phase, start.requests)]);
      else if (start.kind === 'own') await start.run();
      at++;
    } catch (error) {
      failure ??= { error };
      entered = undefined;
      at = Math.max(at, current) + 1;
    }
  }
  if (failure) throw failure.error;
}
