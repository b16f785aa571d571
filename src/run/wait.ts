/**
 * The run's waits (rate limits, backoff before a retry) made visible and stoppable: a wait of a second or more
 * says how long and for what before it starts (`waiting 42 s for the events rate limit`), and Ctrl-C ends it
 * at once instead of after the reset, so nothing that was waiting is sent.
 */

export interface WaitOptions {
  /** How to wait; given the signal, so a real timer is cleared on abort. Tests pass one that advances a manual clock. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborting ends the wait at once. */
  signal?: AbortSignal;
  /** Where the "waiting …" line goes (the run's stderr). */
  log?: (line: string) => void;
}

/** Waits shorter than this go unannounced: a backoff of half a second is not worth a line. */
const ANNOUNCE_FROM_MS = 1000;

/**
 * Waits `ms` for `what` ("the events rate limit"). Resolves `true` when the wait ran its course, `false` when
 * `signal` was aborted before or during it.
 */
export async function waitVisibly(ms: number, what: string, options: WaitOptions): Promise<boolean> {
  const { signal } = options;
  if (signal?.aborted) return false;
  if (ms <= 0) return true;
  if (ms >= ANNOUNCE_FROM_MS) options.log?.(`waiting ${Math.ceil(ms / 1000)} s for ${what} (Ctrl-C stops the wait and the run)\n`);
  if (!signal) {
    await options.sleep(ms);
    return true;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<false>((resolve) => {
    onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([options.sleep(ms, signal).then(() => !signal.aborted), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}
