/**
 * Every setting `send` reads, its default and where it may come from. What a provider holds is enough: the
 * org URL, the service app's client id and its private key file. No admin token is read.
 *
 * Layering, lowest to highest (as for verify): built-in defaults < the `.env` file < environment variables <
 * command-line flags.
 */
import { resolve } from 'node:path';
import { HarnessError } from '../errors.ts';
import { INPUT_FORMATS, type InputFormat } from '../send/read-signals.ts';
import { checkOrgUrl } from './org-url.ts';
import { DEFAULTS, ENV_VARS, layer, readEnvFile } from './settings.ts';

/** Okta's SDK variable for a service app's client id. */
export const CLIENT_ID_ENV = 'OKTA_CLIENT_CLIENTID';

export interface SendFlags {
  orgUrl?: string;
  clientId?: string;
  key?: string;
  emulator?: boolean;
  input?: string;
  format?: string;
  skipInvalid?: boolean;
  dryRun?: boolean;
  workDir?: string;
  envFile?: string;
  eventsRateLimit?: number;
  postmanData?: string;
}

export type SendTarget = { kind: 'emulator'; keyFile?: string } | { kind: 'org'; orgUrl: string; clientId?: string; keyFile?: string };

export interface SendSettings {
  target: SendTarget;
  /** Absent: stdin. */
  inputFile?: string;
  /** Absent: detected from the first character. */
  format?: InputFormat;
  skipInvalid: boolean;
  dryRun: boolean;
  /** Spool files live in a folder of their own here while the run lasts (git-ignored, 0700). */
  workDir: string;
  /** The embedded emulator's events calls per minute. */
  eventsRateLimit: number;
  /** Also write the planned calls as a Postman Collection Runner data file (`riskEvents` per iteration). */
  postmanData?: string;
}

export function resolveSendSettings({ flags, env, cwd }: { flags: SendFlags; env: Record<string, string | undefined>; cwd: string }): SendSettings {
  const envFileName = flags.envFile ?? DEFAULTS.envFile;
  const file = readEnvFile(resolve(cwd, envFileName), flags.envFile !== undefined);
  const orgUrl = layer(flags.orgUrl, '--org-url', ENV_VARS.orgUrl, env, file, envFileName);
  const clientId = layer(flags.clientId, '--client-id', CLIENT_ID_ENV, env, file, envFileName);
  const dryRun = flags.dryRun ?? false;
  const keyFile = flags.key === undefined ? undefined : resolve(cwd, flags.key);
  let target: SendTarget;
  if (flags.emulator || !orgUrl) {
    if (clientId && !flags.emulator) {
      throw new HarnessError('ERR_SETTING_MISSING', `A client id is set (${clientId.from}) but no org URL.`, {
        setting: '--org-url',
        fix: `set --org-url or ${ENV_VARS.orgUrl} to your org's URL (https://<your org>.okta.com), or pass --emulator to send to the embedded org.`,
      });
    }
    target = { kind: 'emulator', ...(keyFile && { keyFile }) };
  } else {
    const url = checkOrgUrl(orgUrl.value, orgUrl.from);
    if (!dryRun && !clientId) {
      throw new HarnessError('ERR_SETTING_MISSING', `No client id for ${url}.`, {
        setting: '--client-id',
        fix: `set --client-id or ${CLIENT_ID_ENV} to the client id of the risk provider's service app (0oa…).`,
      });
    }
    if (clientId && !/^[A-Za-z0-9_-]{1,100}$/.test(clientId.value)) {
      throw new HarnessError('ERR_SETTING_INVALID', `${clientId.from} must be an Okta client id (letters, digits, - and _), got "${clientId.value}".`, {
        setting: clientId.from,
        fix: "copy the service app's Client ID from the Admin Console (Applications > the app > General).",
      });
    }
    if (!dryRun && !keyFile) {
      throw new HarnessError('ERR_SETTING_MISSING', `No private key for the service app ${clientId!.value}.`, {
        setting: '--key',
        fix: "pass --key with the service app's private key file (a private JWK, a JWKS with one private key, or a PKCS#8 PEM).",
      });
    }
    target = { kind: 'org', orgUrl: url, ...(clientId && { clientId: clientId.value }), ...(keyFile && { keyFile }) };
  }
  if (flags.format !== undefined && !(INPUT_FORMATS as readonly string[]).includes(flags.format)) {
    throw new HarnessError('ERR_SETTING_INVALID', `--format must be one of ${INPUT_FORMATS.join(', ')}; got "${flags.format}".`, {
      setting: '--format',
      fix: 'leave --format out to detect it from the first character, or name the format.',
    });
  }
  const eventsRateLimit = flags.eventsRateLimit ?? DEFAULTS.eventsRateLimit;
  if (!Number.isInteger(eventsRateLimit) || eventsRateLimit < 1) {
    throw new HarnessError('ERR_SETTING_INVALID', '--events-rate-limit must be a whole number of calls per minute, at least 1.', {
      setting: '--events-rate-limit',
      fix: 'pass e.g. --events-rate-limit 3 (the guide) or 30 (the API reference).',
    });
  }
  return {
    target,
    ...(flags.input !== undefined && flags.input !== '-' && { inputFile: resolve(cwd, flags.input) }),
    ...(flags.format !== undefined && { format: flags.format as InputFormat }),
    skipInvalid: flags.skipInvalid ?? false,
    dryRun,
    workDir: resolve(cwd, flags.workDir ?? DEFAULTS.workDir),
    eventsRateLimit,
    ...(flags.postmanData !== undefined && { postmanData: resolve(cwd, flags.postmanData) }),
  };
}
