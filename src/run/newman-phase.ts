/**
 * The one adapter over `newman.run` (portman's `runNewmanWith` idea): a typed Promise per phase, the
 * environment carried in and out as plain strings, and "assertions failed" kept apart from "the run broke".
 * Nothing typed `any` from `@types/newman` leaves this module.
 */
import { EventEmitter } from 'node:events';
import type { NewmanRunSummary } from 'newman';
import type { EnvironmentMap, LiveScope } from './run-environment.ts';

export type { EnvironmentMap } from './run-environment.ts';

export interface AssertionResult {
  name: string;
  passed: boolean;
  skipped: boolean;
  /** The failure message, when it failed. */
  message?: string;
}

export interface RequestResult {
  /** The request's name in the collection. */
  name: string;
  /**
   * Newman's cursor ref of this execution (unique to it, also when the collection repeats a request in one
   * run): what the merged reports leave a superseded attempt out by.
   */
  ref?: string;
  method: string;
  /** Absent when no response came back (`error` says why). */
  status?: number;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
  /** The response body as text ('' when empty). */
  body: string;
  responseTimeMs: number;
  /** Why the request could not be completed (connection refused, reset, timeout). */
  error?: string;
  assertions: AssertionResult[];
}

export interface PhaseResult {
  /** The folder(s) or request that ran. */
  target: string | string[];
  environment: EnvironmentMap;
  requests: RequestResult[];
  assertions: { total: number; failed: number };
  /** Set when the run broke: a request got no response, or a script threw. */
  broken?: string;
  /** Newman's own summary, kept only to build the run's merged reports. */
  rawSummary: NewmanRunSummary;
  /** The request a `beforeItem` hook ended the run before (it was not sent). */
  stoppedBefore?: string;
  /** What a `beforeItem` hook threw; the run ended before that request. */
  hookError?: unknown;
}

/** Hooks around each request. */
export interface PhaseHooks {
  /**
   * Before a request's scripts run. A returned promise pauses the Newman run until it settles: `go` goes on,
   * `stop` ends the run there (the request is not sent); a throw ends it too (`hookError`). Return nothing to
   * go on without a pause.
   */
  beforeItem?(name: string): Promise<'go' | 'stop'> | undefined;
  /* The two below are synchronous: they run before the next request is sent. */
  /** Just before a request is sent. */
  beforeRequest?(name: string): void;
  /** As soon as a response arrives, before the request's test script runs. */
  afterResponse?(result: { name: string; status: number; body: string; headers: Record<string, string> }): void;
}

export interface RunPhaseOptions {
  /** The collection as JSON (never a path: the runner loads and checks it once). */
  collection: object;
  /** A folder or request name (Newman matches either), or several folders, run in collection order. */
  target: string | string[];
  environment: EnvironmentMap;
  /** Keys whose values are secrets (typed `secret` in the environment handed to Newman). */
  secretKeys?: readonly string[];
  /** Newman's live `cli` reporter on stdout. Default true. */
  cli?: boolean;
  hooks?: PhaseHooks;
  /** Milliseconds to wait for each response. Default 30 000. */
  timeoutRequestMs?: number;
  /** Milliseconds a script may run (the System Log poll waits inside its script). Default 120 000. */
  timeoutScriptMs?: number;
  /** Stop the run at the first failed assertion or request (Newman's `--bail failure`). Default false. */
  stopOnFailure?: boolean;
  /** After each request: true ends the run before the next request (this one's test script still runs). */
  stopAfter?(result: RequestResult): boolean;
  /** Called as the run starts, with its live environment scope (the run context binds its environment to it). */
  onStart?(environment: LiveScope): void;
}

/** What Newman's `start` event hands over: the runtime's run, with pause/resume/abort and its live state. */
interface RuntimeRun {
  pause(callback: () => void): void;
  resume(): void;
  abort(): void;
  state: { environment: LiveScope };
}

function headersOf(response: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const list = (response as { headers?: { each?(fn: (h: { key: string; value: string }) => void): void } })?.headers;
  list?.each?.((h) => {
    out[h.key.toLowerCase()] = h.value;
  });
  return out;
}

function bodyOf(response: unknown): string {
  const r = response as { text?(): string } | undefined;
  return typeof r?.text === 'function' ? r.text() : '';
}

/**
 * Colour for the live reporter only on a terminal, and never under NO_COLOR (no-color.org): a log file or a
 * CI page gets plain text, whatever FORCE_COLOR or the colors package guess.
 */
export function liveColor(stdout: { isTTY?: boolean } = process.stdout, env: Record<string, string | undefined> = process.env): 'auto' | 'off' {
  return stdout.isTTY && (env.NO_COLOR ?? '') === '' ? 'auto' : 'off';
}

type Newman = typeof import('newman');
let loading: Promise<Newman> | undefined;

/**
 * Loads Newman (about a third of a second of module loading) once. Verify starts this while the key pairs are
 * being generated on the thread pool, so the two overlap.
 */
export function loadNewman(): Promise<Newman> {
  loading ??= import('newman').then((m) => ((m as { default?: Newman }).default ?? m) as Newman);
  return loading;
}

export async function runPhase(options: RunPhaseOptions): Promise<PhaseResult> {
  const newman = await loadNewman();
  const secret = new Set(options.secretKeys ?? []);
  const environment = {
    name: 'okta-risk-harness',
    values: Object.entries(options.environment).map(([key, value]) => ({
      key,
      value,
      type: secret.has(key) ? 'secret' : 'default',
    })),
  };
  return new Promise((resolve, reject) => {
    const requests: RequestResult[] = [];
    const byRef = new Map<string, RequestResult>();
    let broken: string | undefined;
    let emitter: EventEmitter;
    let runtime: RuntimeRun | undefined;
    let stoppedBefore: string | undefined;
    let hookError: unknown;
    let stopNext = false;
    try {
      emitter = newman.run(
        {
          collection: options.collection as never,
          environment: environment as never,
          folder: options.target,
          reporters: options.cli === false ? [] : ['cli'],
          reporter: { cli: { noBanner: true, noSummary: true } },
          color: liveColor(),
          timeoutRequest: options.timeoutRequestMs ?? 30_000,
          timeoutScript: options.timeoutScriptMs ?? 120_000,
          // Folder lookups fail fast on an unknown name instead of running the whole collection.
          bail: (options.stopOnFailure ? ['folder', 'failure'] : ['folder']) as never,
        },
        (error, summary) => {
          // Newman hands over the summary even when the run itself failed; only a run that never started rejects.
          if (error && !summary) return reject(error);
          if (error && !(options.stopOnFailure && error.name === 'AssertionFailure')) broken ??= `${error.name ?? 'Error'}: ${error.message}`;
          const env: EnvironmentMap = {};
          const scope = summary.environment as unknown as { toJSON(): { values?: Array<{ key: string; value: unknown }> } };
          for (const v of scope.toJSON().values ?? []) env[v.key] = v.value == null ? '' : String(v.value);
          const failed = requests.reduce((n, r) => n + r.assertions.filter((a) => !a.passed && !a.skipped).length, 0);
          const total = requests.reduce((n, r) => n + r.assertions.filter((a) => !a.skipped).length, 0);
          const runError = (summary.run as { error?: { name?: string; message?: string } }).error;
          // With stopOnFailure Newman reports the failed assertion as the run's error; that is a failure, not a break.
          const stoppedOnFailure = options.stopOnFailure && runError?.name === 'AssertionFailure';
          if (runError && !stoppedOnFailure && !broken) broken = runError.message ?? String(runError);
          if (requests.length === 0 && !broken) broken = `Newman found nothing to run for "${String(options.target)}"`;
          resolve({ target: options.target, environment: env, requests, assertions: { total, failed }, broken, rawSummary: summary, stoppedBefore, hookError });
        },
      ) as unknown as EventEmitter;
    } catch (error) {
      reject(error);
      return;
    }
    emitter.on('start', (_err: unknown, o: { run?: RuntimeRun }) => {
      runtime = o.run;
      if (runtime) options.onStart?.(runtime.state.environment);
    });
    emitter.on('beforeItem', (_err: unknown, o: { item: { name: string } }) => {
      const pending = stopNext ? Promise.resolve('stop' as const) : options.hooks?.beforeItem?.(o.item.name);
      if (!pending) return;
      if (!runtime) throw new TypeError('Newman did not hand over its run: a beforeItem hook cannot pause it');
      const run = runtime;
      // The pause is an interrupt: it takes effect before the item's scripts, and its callback says it has.
      const paused = new Promise<void>((resolve) => run.pause(resolve));
      const stop = (): void => {
        stoppedBefore = o.item.name;
        run.abort();
      };
      Promise.all([pending, paused]).then(
        ([go]) => (go === 'go' ? run.resume() : stop()),
        (error: unknown) => {
          hookError = error;
          void paused.then(stop);
        },
      );
    });
    emitter.on('beforeRequest', (_err: unknown, o: { item: { name: string } }) => {
      options.hooks?.beforeRequest?.(o.item.name);
    });
    emitter.on(
      'request',
      (err: Error | null, o: { cursor: { ref: string }; item: { name: string }; request: { method: string }; response?: unknown }) => {
        const result: RequestResult = {
          name: o.item.name,
          ref: o.cursor.ref,
          method: o.request.method,
          headers: headersOf(o.response),
          body: bodyOf(o.response),
          responseTimeMs: (o.response as { responseTime?: number } | undefined)?.responseTime ?? 0,
          assertions: [],
        };
        if (err || !o.response) {
          result.error = err?.message ?? 'no response';
          broken ??= `${o.item.name}: ${result.error}`;
        } else {
          result.status = (o.response as { code: number }).code;
          options.hooks?.afterResponse?.({ name: result.name, status: result.status, body: result.body, headers: result.headers });
        }
        requests.push(result);
        byRef.set(o.cursor.ref, result);
        if (options.stopAfter?.(result)) stopNext = true;
      },
    );
    emitter.on(
      'assertion',
      (err: { message?: string } | null, o: { cursor: { ref: string }; assertion: string; skipped?: boolean }) => {
        const result = byRef.get(o.cursor.ref);
        result?.assertions.push({ name: o.assertion, passed: !err, skipped: Boolean(o.skipped), message: err?.message });
      },
    );
    emitter.on('exception', (_err: unknown, o: { error?: { message?: string } }) => {
      broken ??= `a script threw: ${o.error?.message ?? 'unknown error'}`;
    });
  });
}
