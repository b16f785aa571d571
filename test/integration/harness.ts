/** Shared set-up for the integration tier: settings for a run against a test org, quiet output, a tmp tree. */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { resolveVerifySettings, type VerifyFlags, type VerifySettings } from '../../src/config/settings.ts';
import { verify, type VerifyOptions, type VerifyResult } from '../../src/run/verify.ts';
import type { TestOrg } from '../helpers/emulator.ts';

export interface Sink extends NodeJS.WriteStream {
  text: string;
}

export function sink(): Sink {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      (stream as unknown as Sink).text += String(chunk);
      callback();
    },
  }) as unknown as Sink;
  stream.text = '';
  return stream;
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `okta-risk-${prefix}-`));
}

export function settingsFor(org: TestOrg, flags: VerifyFlags = {}, cwd = tmp('cwd')): VerifySettings {
  return resolveVerifySettings({
    flags: { orgUrl: org.url, apiToken: org.apiToken, reporters: ['junit', 'html'], reportsDir: join(cwd, 'reports'), workDir: join(cwd, '.runs'), ...flags },
    env: {},
    cwd,
  });
}

/** Runs verify against a test org whose manual clock is the run's clock: waits advance it instead of sleeping. */
export function verifyAgainst(org: TestOrg, settings: VerifySettings, extra: Partial<VerifyOptions> = {}): Promise<VerifyResult> {
  return verify({
    settings,
    now: () => org.clock.now(),
    sleep: async (ms) => org.clock.advance(ms),
    streams: { out: sink(), err: sink() },
    logPoll: { attempts: 3, intervalMs: 5 },
    ...extra,
  });
}

/** Every file below `dir`, with its text. */
export function filesBelow(dir: string): Array<{ path: string; text: string; mode: number }> {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return [];
  }
  return entries
    .map((e) => join(dir, e))
    .filter((p) => statSync(p).isFile())
    .map((p) => ({ path: p, text: readFileSync(p, 'utf8'), mode: statSync(p).mode & 0o777 }));
}
