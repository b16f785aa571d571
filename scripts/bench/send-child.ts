/**
 * One `send` run in a process of its own, so its peak memory is its own: the org (an emulator in the bench's
 * process) is reached with only a client id and a key file, as a provider reaches Okta. Prints one JSON line:
 * the time `sendSignals` took, the peak heap and RSS, and what was sent.
 *
 * Arguments: orgUrl clientId keyFile inputFile workDir [issuer]. With an issuer the run is `--via ssf` (one SET
 * per signal, signed with the key, about the org's super admin) and the client id is not read.
 */
import { Writable } from 'node:stream';
import { resolveSendSettings } from '../../src/config/send-settings.ts';
import { sendSignals } from '../../src/send/send-signals.ts';

const [orgUrl, clientId, keyFile, input, workDir, issuer] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];
const quiet = new Writable({ write: (_c, _e, done) => done() }) as unknown as NodeJS.WriteStream;
// With --expose-gc (memory runs) the heap is sampled after a collection: what the run holds, not its garbage.
const gc = (globalThis as { gc?: () => void }).gc;
let peakHeap = 0;
const sample = (): void => {
  gc?.();
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};
sample();
const sampler = setInterval(sample, 20);
const flags = issuer ? { via: 'ssf', issuer, subjectEmail: 'admin@example.com' } : { clientId };
const settings = resolveSendSettings({ flags: { orgUrl, key: keyFile, input, workDir, ...flags }, env: {}, cwd: process.cwd() });
const started = performance.now();
const result = await sendSignals({ settings, streams: { out: quiet, err: quiet } });
const ms = performance.now() - started;
clearInterval(sampler);
sample();
process.stdout.write(
  `${JSON.stringify({
    ms,
    exitCode: result.exitCode,
    peakHeapMb: peakHeap / 2 ** 20,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    signals: result.delivery?.acceptedSignals ?? 0,
    requests: result.delivery?.requests ?? 0,
    calls: result.plan?.calls ?? 0,
    fullCalls: result.plan?.fullCalls ?? 0,
    lastCallSignals: result.plan?.lastCallSignals ?? 0,
  })}\n`,
);
