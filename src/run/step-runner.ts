/**
 * Runs a collection's requests in order with the run context's environment, and deals with what Newman
 * cannot: a 429 (wait until `X-Rate-Limit-Reset`, send again), a 5xx or a lost connection (send an idempotent
 * request again with backoff; for a non-idempotent one, ask the org first whether it happened). A pass runs
 * several phases' requests in one Newman run and ends at the first request that fails or needs another
 * attempt; from there on that phase goes one request at a time, so each can be retried on its own.
 *
 * Only the last attempt of a request goes into the reports; the superseded attempts are named in the
 * summary instead, so a retried step is visible without reading as a failure.
 */
import { FOLDER_REQUESTS, REQUESTS, SECRET_VARIABLES, type FolderName, type RequestName } from '../collection/collection.ts';
import { headerBag } from '../org/http-request.ts';
import { rateLimitWait } from '../org/org-client.ts';
import { runPhase, type PhaseHooks, type PhaseResult, type RequestResult } from './newman-phase.ts';
import type { PhaseRunner, PhaseStart } from './phases.ts';
import type { RunContext } from './run-context.ts';
import type { ReportRun } from './reports.ts';
import { causeOf, describeCause, mayRetry, withRetries, type Decision, type RetryCause, type RetryPlan } from './retry.ts';
import { waitVisibly } from './wait.ts';

export interface RequestReport {
  name: string;
  status?: number;
  passed: number;
  failed: number;
  failures: string[];
  /** Why earlier attempts were not kept, in words: "HTTP 500", "HTTP 429", "connection reset", "HTTP 500; the org had done it". */
  retries: string[];
  /** The same, as data. */
  causes: RetryCause[];
}

export interface PhaseReport<F extends string = FolderName> {
  name: F;
  requests: RequestReport[];
  passed: boolean;
  broken?: string;
}

/**
 * How a request may be repeated after a 5xx or a lost answer. A 429 is always repeated: the org did nothing.
 * - `idempotent`: send it again.
 * - `check`: ask the org whether the first attempt took effect; `true` means it did (and the check has put
 *   what later requests need into the environment), `false` that it is safe to send again, `'unknown'` that
 *   the org cannot tell (the request is then reported failed rather than risk doing it twice).
 * - `never`: report the failure.
 */
export type RetryPolicy =
  | { kind: 'idempotent' }
  | { kind: 'never' }
  | { kind: 'check'; tookEffect: () => Promise<boolean | 'unknown'> };

/** A phase's part of a Newman run: its requests (in collection order), hooks and retry policies. */
export interface Segment<R extends string = RequestName> {
  requests: readonly R[];
  hooks?: PhaseHooks;
  policies?: Partial<Record<R, RetryPolicy>>;
  /** Runs right before each attempt a request makes on its own (a retry): false stops it (see `request`). */
  prepare?: Partial<Record<R, () => Promise<boolean>>>;
  /**
   * A request the collection sends again while this says so (its script's `setNextRequest`): once it goes a
   * request at a time, the runner sends it again itself, as long as this is true after it passed.
   */
  again?: Partial<Record<R, () => Promise<boolean>>>;
}

/**
 * Which collection the runner drives: its folders' requests in order, its secret variables, and what a
 * rate-limited request waits for. Default: the Risk API collection's.
 */
export interface CollectionLayout<F extends string = FolderName, R extends string = RequestName> {
  folderRequests: { readonly [K in F]: readonly R[] };
  secretKeys: readonly string[];
  /** What a rate-limited request waits for ("the events rate limit"); undefined: "the rate limit of <name>". */
  rateLimitOf?(name: R): string | undefined;
}

export const RISK_API_LAYOUT: CollectionLayout = {
  folderRequests: FOLDER_REQUESTS,
  secretKeys: SECRET_VARIABLES,
  rateLimitOf: (name) => (name === REQUESTS.sendRiskEvents ? 'the events rate limit' : undefined),
};

export interface StepRunnerOptions<F extends string = FolderName, R extends string = RequestName> {
  collection: object;
  /** Default: {@link RISK_API_LAYOUT}. */
  layout?: CollectionLayout<F, R>;
  /**
   * The run's state: the runner binds its environment to each Newman run, redacts with its redactor, waits
   * on its clock, and stops waiting on its Ctrl-C signal (until the final phase). Waits are logged to its log.
   */
  context: RunContext<string>;
  /** Newman's live cli reporter. */
  cli: boolean;
  /** Attempts per request, counting the first. Default 5. */
  maxAttempts?: number;
}

const RETRY_BACKOFF_MS = [500, 1000, 2000, 4000];

/** A request's line in a phase report, for an attempt that is not Newman's (adopted, interrupted, unknown). */
function report(name: string, status: number | undefined, failures: string[], causes: RetryCause[]): RequestReport {
  return { name, status, passed: 0, failed: failures.length, failures, retries: causes.map(describeCause), causes };
}

export class StepRunner<F extends string = FolderName, R extends string = RequestName> implements PhaseRunner<F, R> {
  readonly reportRuns: ReportRun[] = [];
  readonly phases: PhaseReport<F>[] = [];
  broken: string | undefined;
  #healthy = true;
  /** While true, Ctrl-C cuts waits short; the final phase (teardown) clears it, for it must get through. */
  #interruptible = true;
  readonly #o: StepRunnerOptions<F, R>;
  readonly #ctx: RunContext<string>;
  readonly #layout: CollectionLayout<F, R>;
  readonly #folderOf: Map<string, F>;
  /** The layout's folders in the collection's order (the order Newman runs the requests of one run in). */
  readonly #folderOrder: F[];
  /** When the org last said a route's budget is spent: wait until then before calling it again. */
  readonly #waitUntil = new Map<R, number>();

  constructor(options: StepRunnerOptions<F, R>) {
    this.#o = options;
    this.#ctx = options.context;
    this.#layout = options.layout ?? (RISK_API_LAYOUT as unknown as CollectionLayout<F, R>);
    this.#folderOf = new Map((Object.entries(this.#layout.folderRequests) as Array<[F, readonly R[]]>).flatMap(([folder, names]) => names.map((n) => [n as string, folder] as const)));
    const items = ((options.collection as { item?: Array<{ name?: string }> }).item ?? []).map((i) => i.name);
    const folders = Object.keys(this.#layout.folderRequests) as F[];
    this.#folderOrder = items.filter((name): name is F => folders.includes(name as F));
    if (this.#folderOrder.length !== folders.length) throw new TypeError(`the collection lacks a folder of its layout: ${folders.filter((f) => !this.#folderOrder.includes(f)).join(', ')}`);
  }

  /** The folder a request sits in (undefined for a name that is no request of the collection). */
  #folderOfRequest(name: string): F | undefined {
    return this.#folderOf.get(name);
  }

  /** What a request waits for when the org's budget is spent: "the events rate limit", or its route's. */
  #rateLimitOf(name: R): string {
    return this.#layout.rateLimitOf?.(name) ?? `the rate limit of "${name}"`;
  }

  /** False once a request failed for good: the phases after it are skipped, up to the final phase. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /**
   * The final phase (the teardown) starts: it undoes whatever came before, failed or not, so the runner is
   * healthy again; and Ctrl-C no longer cuts its waits short. Only the phase loop calls this.
   */
  beginFinalPhase(): void {
    this.#healthy = true;
    this.#interruptible = false;
  }

  /**
   * Runs several segments' requests (each a phase's) as ONE Newman run, in collection order, while all goes
   * well. Each segment after the first starts with `enter`, called while Newman is paused before the
   * segment's first request: `requests` carries on in this run; anything else ends the run there, and is
   * handed back as `entered` for the caller to act on. The run also ends after the first request that needs
   * another attempt (a 429, a 5xx, no answer): that request is retried on its own, and the rest of its segment
   * goes one request at a time. Returns how many segments are settled (`next`): the caller goes on from there.
   */
  async pass(segments: readonly Segment<R>[], enter?: (index: number) => Promise<PhaseStart<R>>): Promise<{ next: number; entered?: PhaseStart<R> }> {
    const all = segments.flatMap((s) => s.requests);
    if (all.some((n) => (this.#waitUntil.get(n) ?? 0) > this.#ctx.clock.now())) {
      // A route still waiting out its rate limit: this segment a request at a time, through the retry engine.
      await this.#oneByOne(segments[0]!, 0);
      return { next: 1 };
    }
    const segmentAt = new Map<string, number>();
    segments.forEach((s, i) => s.requests.forEach((n) => segmentAt.set(n, i)));
    const firsts = new Map<string, number>(segments.map((s, i) => [s.requests[0]!, i]));
    const started = new Set<number>([0]);
    const hooksOf = (name: string): PhaseHooks | undefined => segments[segmentAt.get(name) ?? 0]?.hooks;
    let stoppedAt: number | undefined;
    let entered: PhaseStart<R> | undefined;
    const hooks: PhaseHooks = {
      beforeItem: (name) => {
        const i = firsts.get(name);
        const own = (): Promise<'go' | 'stop'> | undefined => hooksOf(name)?.beforeItem?.(name);
        if (i === undefined || started.has(i) || !enter) return own();
        started.add(i);
        return enter(i).then((start) => {
          if (start.kind === 'requests') return own() ?? 'go';
          stoppedAt = i;
          entered = start;
          return 'stop';
        });
      },
      beforeRequest: (name) => hooksOf(name)?.beforeRequest?.(name),
      afterResponse: (r) => hooksOf(r.name)?.afterResponse?.(r),
    };
    const phase = await this.#run(this.targetOf(all), hooks, true);
    const failedAt = phase.requests.findIndex((r) => causeOf(r) !== undefined || r.assertions.some((a) => !a.passed && !a.skipped));
    const failed = phase.requests[failedAt];
    if (!failed || causeOf(failed) === undefined) {
      // All passed, or a request failed for good (its assertions say why): nothing to retry.
      this.#keep(phase, []);
      if (phase.hookError !== undefined) throw phase.hookError;
      if (failed) return { next: segmentAt.get(failed.name)! + 1 };
      if (stoppedAt !== undefined) return { next: stoppedAt, entered };
      // Done, or ended early by the collection itself (setNextRequest(null)): on after the last that ran.
      const last = phase.requests.at(-1);
      return { next: last ? segmentAt.get(last.name)! + 1 : 1 };
    }
    this.#keep(phase, phase.requests.slice(failedAt));
    const at = segmentAt.get(failed.name)!;
    const segment = segments[at]!;
    const name = failed.name as R;
    if ((await this.request(name, segment.hooks, segment.policies?.[name], failed, segment.prepare?.[name])) && (await this.#repeat(segment, name))) {
      await this.#oneByOne(segment, segment.requests.indexOf(name) + 1);
    }
    return { next: at + 1 };
  }

  /** A segment's requests from `from` on, one Newman run each, until one fails for good. */
  async #oneByOne(segment: Segment<R>, from: number): Promise<void> {
    for (const name of segment.requests.slice(from)) {
      if (!(await this.request(name, segment.hooks, segment.policies?.[name], undefined, segment.prepare?.[name])) || !(await this.#repeat(segment, name))) return;
    }
  }

  /** Sends a request that passed again, one Newman run each, while its segment's `again` says so: false when one fails for good. */
  async #repeat(segment: Segment<R>, name: R): Promise<boolean> {
    const again = segment.again?.[name];
    while (again && (await again())) {
      if (!(await this.request(name, segment.hooks, segment.policies?.[name], undefined, segment.prepare?.[name]))) return false;
    }
    return true;
  }

  /**
   * What to hand Newman for these requests (it runs them in collection order, whatever order it is given
   * them in): a folder's name where all of a folder's requests are there, else the requests' names; one name
   * alone when it is one.
   */
  targetOf(requests: readonly R[]): string | string[] {
    const wanted = new Set<string>(requests);
    const target = this.#folderOrder.flatMap((folder): string[] => {
      const names = this.#layout.folderRequests[folder];
      return names.every((n) => wanted.has(n)) ? [folder] : names.filter((n) => wanted.has(n));
    });
    return target.length === 1 ? target[0]! : target;
  }

  /** A folder's requests, in collection order. */
  requestsOf(folder: F): readonly R[] {
    return this.#layout.folderRequests[folder];
  }

  /**
   * Runs one request under its retry policy, through the retry engine. `first` is an attempt already made
   * inside a pass. Returns whether it finally passed.
   */
  async request(
    name: R,
    hooks?: PhaseHooks,
    policy: RetryPolicy = { kind: 'never' },
    first?: RequestResult,
    /** Runs right before each attempt, after any wait (verify renews a token that the wait let expire). */
    prepare?: () => Promise<boolean>,
  ): Promise<boolean> {
    const plan: RetryPlan<RequestResult | undefined> = {
      maxAttempts: this.#o.maxAttempts ?? 5,
      allows: () => policy.kind !== 'never',
      first: first && { result: first, cause: causeOf(first) },
      decide: async (): Promise<Decision> => {
        if (policy.kind !== 'check') return 'again';
        // A check the org cannot answer either leaves the question open: not sent again, reported failed.
        const effect = await policy.tookEffect().catch(() => 'unknown' as const);
        return effect === true ? 'adopt' : effect === 'unknown' ? 'unknown' : 'again';
      },
      delayMs: (cause, made, last) =>
        cause.kind === 'rate-limited'
          ? Math.max(rateLimitWait(headerBag(last?.headers ?? {}), this.#ctx.clock.now()), 1000)
          : // A DPoP challenge is answered at once: the org did nothing, and a nonce is good for days.
            cause.kind === 'dpop-nonce' || cause.kind === 'dpop-required'
            ? 0
            : RETRY_BACKOFF_MS[Math.min(made - 1, RETRY_BACKOFF_MS.length - 1)]!,
      wait: (ms, cause) => this.#wait(ms, cause.kind === 'rate-limited' ? this.#rateLimitOf(name) : `a retry of "${name}" after ${describeCause(cause)}`),
      before: async () => {
        const waitFor = (this.#waitUntil.get(name) ?? 0) - this.#ctx.clock.now();
        if (waitFor > 0 && !(await this.#wait(waitFor, this.#rateLimitOf(name)))) return 'interrupted';
        return prepare && !(await prepare()) ? 'stop' : 'go';
      },
      attempt: async (made, retries) => {
        const phase = await this.#run(name, hooks, false);
        const result = phase.requests.find((r) => r.name === name);
        const cause = causeOf(result);
        // An attempt that will be sent again is left out of the reports; the summary names it instead.
        this.#keep(phase, mayRetry(plan, cause, made) ? phase.requests : [], retries);
        lastPhase = phase;
        return { result, cause };
      },
    };
    let lastPhase: PhaseResult | undefined;
    const folder = this.#folderOfRequest(name)!;
    const outcome = await withRetries(plan);
    const status = outcome.result?.status;
    switch (outcome.kind) {
      case 'answered':
        if (lastPhase!.hookError !== undefined) throw lastPhase!.hookError;
        return lastPhase!.assertions.failed === 0 && !lastPhase!.broken;
      case 'adopted':
        this.#phase(folder).requests.push(report(name, status, [], outcome.retries));
        return true;
      case 'unknown':
        this.#phase(folder).requests.push(
          report(name, status, [`${describeCause(outcome.cause)}, and the org cannot tell whether the request took effect; not sent again, so nothing is done twice`], outcome.retries),
        );
        break;
      case 'interrupted':
        // Ctrl-C during a wait: the request is not sent, and the report says so.
        this.#phase(folder).requests.push(report(name, status, ['interrupted (Ctrl-C) while waiting; not sent'], outcome.retries));
        break;
      case 'gave-up':
      case 'stopped':
        break;
    }
    this.#fail(folder);
    return false;
  }

  /** A wait, announced when long, and cut short by Ctrl-C while the run is interruptible: false when cut. */
  #wait(ms: number, what: string): Promise<boolean> {
    const ctx = this.#ctx;
    return waitVisibly(ms, what, { sleep: (t, signal) => ctx.clock.sleep(t, signal), signal: this.#interruptible ? ctx.signal : undefined, log: ctx.log });
  }

  async #run(target: string | string[], hooks: PhaseHooks | undefined, bail: boolean): Promise<PhaseResult> {
    const phase = await runPhase({
      collection: this.#o.collection,
      target,
      environment: this.#ctx.env.values(),
      secretKeys: this.#layout.secretKeys,
      onStart: (live) => this.#ctx.env.bind(live),
      cli: this.#o.cli,
      // Bailing: a request that needs another attempt ends the run before the next one, even when no
      // assertion failed (the events script leaves a 429 to the runner), so nothing after it runs yet.
      stopAfter: bail ? (r) => causeOf(r) !== undefined : undefined,
      hooks: {
        beforeItem: hooks?.beforeItem,
        beforeRequest: hooks?.beforeRequest,
        afterResponse: (r) => {
          const wait = rateLimitWait(headerBag(r.headers), this.#ctx.clock.now());
          if (wait > 0) this.#waitUntil.set(r.name as R, this.#ctx.clock.now() + wait);
          hooks?.afterResponse?.(r);
        },
      },
      stopOnFailure: bail,
    });
    this.#ctx.env.unbind(phase.environment);
    return phase;
  }

  /** Records a run's requests in the phase report and keeps its summary for the reports, minus `drop`. */
  #keep(phase: PhaseResult, drop: RequestResult[], retries: readonly RetryCause[] = []): void {
    const touched = new Set<PhaseReport<F>>();
    for (const r of phase.requests) {
      if (drop.includes(r)) continue;
      const report = this.#phase(this.#folderOfRequest(r.name)!);
      touched.add(report);
      const failures = r.assertions.filter((a) => !a.passed && !a.skipped);
      report.requests.push({
        name: r.name,
        status: r.status,
        passed: r.assertions.filter((a) => a.passed && !a.skipped).length,
        failed: failures.length,
        failures: failures.map((a) => this.#ctx.redactor.redact(`${a.name}: ${a.message ?? 'failed'}`)),
        retries: retries.map(describeCause),
        causes: [...retries],
      });
      if (failures.length > 0) report.passed = false;
    }
    if (phase.broken && drop.length === 0) {
      // A break belongs to the folder of the last request that ran (or the first, when none ran).
      const last = phase.requests.at(-1)?.name ?? (Array.isArray(phase.target) ? phase.target[0]! : phase.target);
      const report = this.#phase(this.#folderOfRequest(last) ?? (last as F));
      report.broken = this.#ctx.redactor.redact(phase.broken);
      report.passed = false;
      touched.add(report);
      this.broken ??= report.broken;
    }
    this.reportRuns.push({ summary: phase.rawSummary, dropRefs: drop.flatMap((r) => (r.ref === undefined ? [] : [r.ref])) });
    if ([...touched].some((report) => !report.passed)) this.#healthy = false;
  }

  #fail(folder: F): void {
    this.#phase(folder).passed = false;
    this.#healthy = false;
  }

  #phase(folder: F): PhaseReport<F> {
    let report = this.phases.find((p) => p.name === folder);
    if (!report) {
      report = { name: folder, requests: [], passed: true };
      this.phases.push(report);
    }
    return report;
  }
}
