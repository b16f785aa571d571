/**
 * What a person sees while signals go out: on a terminal, one progress bar (signals, calls, and the wait for
 * the rate-limit window) drawn by cli-progress; otherwise plain lines, one per call and per wait, that read
 * well in a CI log.
 */
import cliProgress from 'cli-progress';
import type { DeliveryEvents, DeliveryReport } from './deliver-calls.ts';
import type { PlannedCall } from './signal.ts';

export interface SendProgress extends DeliveryEvents {
  start(totalCalls: number, totalSignals: number): void;
  stop(): void;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** A progress bar on a TTY, plain lines elsewhere. */
export function createProgress(stream: NodeJS.WriteStream, options: { tty?: boolean; unit?: string } = {}): SendProgress {
  const unit = options.unit ?? 'call';
  return (options.tty ?? stream.isTTY === true) ? barProgress(stream, unit) : lineProgress(stream, unit);
}

/** `unit` names one request's worth: `call` (the Risk Events API) or `SET` (`--via ssf`). */
function lineProgress(stream: NodeJS.WriteStream, unit: string): SendProgress {
  let calls = 0;
  let signals = 0;
  const write = (line: string): void => void stream.write(`${line}\n`);
  return {
    start(totalCalls, totalSignals) {
      calls = totalCalls;
      signals = totalSignals;
      write(`Sending ${totalSignals} signals in ${totalCalls} ${unit}s.`);
    },
    waiting(ms) {
      write(`waiting ${seconds(ms)} for the rate-limit window to reset`);
    },
    retrying(call, reason) {
      write(`${unit} ${call.index}/${calls}: ${reason}; sending it again`);
    },
    settled(call: PlannedCall, fate, report: DeliveryReport) {
      write(`${unit} ${call.index}/${calls}: ${call.signals} signal${call.signals === 1 ? '' : 's'} ${fate} (${report.acceptedSignals}/${signals} accepted)`);
    },
    stop() {},
  };
}

function barProgress(stream: NodeJS.WriteStream, unit: string): SendProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `signals {bar} {value}/{total} | ${unit}s {calls}/{totalCalls} | {status}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  let totalCalls = 0;
  return {
    start(calls, signals) {
      totalCalls = calls;
      bar.start(signals, 0, { calls: 0, totalCalls, status: 'sending' });
    },
    waiting(ms) {
      bar.update({ status: `waiting ${seconds(ms)} for the rate-limit window` });
      // Updates are drawn at most every 100 ms; a wait of a minute starts now, so show it now.
      (bar as cliProgress.GenericBar).render(true);
    },
    retrying(_call, reason) {
      bar.update({ status: `${reason}; sending again` });
    },
    settled(call, _fate, report) {
      done += call.signals;
      bar.update(done, { calls: call.index, status: `${report.acceptedSignals} accepted` });
    },
    stop() {
      bar.stop();
    },
  };
}
