/** Helpers for the send tests: settings, an input stream from text, and a run whose waits advance the org's clock. */
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { resolveSendSettings, type SendFlags, type SendSettings } from '../../src/config/send-settings.ts';
import { ManualClock, type Clock, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
import { START } from '../helpers/emulator.ts';
import type { SendClock } from '../../src/send/pace.ts';
import { sendSignals, type SendOptions, type SendResult } from '../../src/send/send-signals.ts';
import type { Signal } from '../../src/send/signal.ts';
import { sink, tmp, type Sink } from '../integration/harness.ts';

export function sendSettings(flags: SendFlags = {}, cwd = tmp('send')): SendSettings {
  return resolveSendSettings({ flags: { workDir: join(cwd, '.runs'), ...flags }, env: {}, cwd });
}

export function textInput(text: string): Readable {
  return Readable.from([text]);
}

/** A send clock on a manual clock: waiting advances it instead of sleeping. */
export function manualSendClock(clock: Clock & { advance(ms: number): void }): SendClock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => clock.now(),
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  };
}

export interface Run {
  result: SendResult;
  out: Sink;
  err: Sink;
}

export async function runSend(settings: SendSettings, input: string | undefined, extra: Partial<SendOptions> = {}): Promise<Run> {
  const out = sink();
  const err = sink();
  const result = await sendSignals({ settings, ...(input !== undefined && { stdin: textInput(input) }), streams: { out, err }, ...extra });
  return { result, out, err };
}

/** Sends `input` to an emulator provisioned for the run, on a manual clock; keeps the emulator for inspection. */
export async function sendToEmulator(input: string, emulator: EmulatorOptions = {}, flags: SendFlags = {}, extra: Partial<SendOptions> = {}) {
  const clock = new ManualClock(START);
  let built: Emulator | undefined;
  const run = await runSend(sendSettings({ eventsRateLimit: 1000, ...flags }), input, {
    clock: manualSendClock(clock),
    emulator: { clock, ...emulator },
    ...extra,
    onEmulator: (e) => void (built = e),
  });
  return { ...run, emulator: built!, clock };
}

/** `n` distinct signals as NDJSON, levels cycling LOW, MEDIUM, HIGH (HIGH is never first in the input). */
export function ndjson(n: number, extra: Partial<Signal> = {}): string {
  const levels = ['LOW', 'MEDIUM', 'HIGH'] as const;
  let text = '';
  for (let i = 0; i < n; i++) text += `${JSON.stringify({ ip: ipOf(i), riskLevel: levels[i % 3], message: `signal ${i}`, ...extra })}\n`;
  return text;
}

export function ipOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}
