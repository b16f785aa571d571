/**
 * Every setting `send` reads, its default and where it may come from. What a provider holds is enough: the
 * org URL, the service app's client id and its private key file. No admin token is read.
 *
 * Layering, lowest to highest (as for verify): built-in defaults < the `.env` file < environment variables <
 * command-line flags.
 */
import { resolve } from 'node:path';
import { HarnessError } from '../errors.ts';
import { SSF_LIMITS } from '../okta/ssf.ts';
import { INPUT_FORMATS, type InputFormat } from '../send/read-signals.ts';
import { assertNoStrayCharacters, checkOrgUrl } from './org-url.ts';
import { DEFAULTS, ENV_VARS, layer, readEnvFile } from './settings.ts';

/** Okta's SDK variable for a service app's client id. */
export const CLIENT_ID_ENV = 'OKTA_CLIENT_CLIENTID';
/** The issuer an SSF provider was registered with (`--issuer`). */
export const SSF_ISSUER_ENV = 'OKTA_SSF_ISSUER';
/** The sign-in email of the user `--via ssf` reports about (`--subject-email`). */
export const SSF_SUBJECT_EMAIL_ENV = 'OKTA_SSF_SUBJECT_EMAIL';

/** How signals reach the org: the Risk Events API (retired by Okta, the default) or SETs to its SSF receiver. */
export const SEND_VIAS = ['risk', 'ssf'] as const;
export type SendVia = (typeof SEND_VIAS)[number];

/** The user `--via ssf` reports about on the embedded emulator: its super admin, unless `--subject-email` names another. */
export const EMULATOR_SUBJECT_EMAIL = 'admin@example.com';
/** The embedded emulator's SET pushes a minute with `--via ssf`: its management default (Okta publishes no limit). */
export const EMULATOR_SET_RATE_LIMIT = 600;

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
  via?: string;
  issuer?: string;
  subjectEmail?: string;
  dpop?: boolean;
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
  /** The embedded emulator's events calls per minute (with `via: 'ssf'`: its SET pushes per minute). */
  eventsRateLimit: number;
  /** Also write the planned calls as a Postman Collection Runner data file (`riskEvents` per iteration). */
  postmanData?: string;
  /** Default `risk`: the Risk Events API. `ssf`: one Security Event Token per signal to the SSF receiver. */
  via: SendVia;
  /** Present exactly when `via` is `ssf`. */
  ssf?: SsfSendSettings;
  /**
   * `--dpop`: DPoP proofs from the first token request (the app is DPoP-bound); with the embedded emulator
   * the run's app is registered DPoP-bound. Without it a DPoP-bound app is still found, at its first answer.
   */
  dpop: boolean;
}

export interface SsfSendSettings {
  /**
   * The SETs' `iss`: the issuer the org's Security Events Provider was registered with. Absent with the
   * embedded emulator (the run registers its own) and with a dry run.
   */
  issuer?: string;
  /**
   * The sign-in email of the user a SET names when its signal names none (`email` in NDJSON or CSV). Absent
   * for an org with no `--subject-email`: then every signal must name its user.
   */
  subjectEmail?: string;
}

export function resolveSendSettings({ flags, env, cwd }: { flags: SendFlags; env: Record<string, string | undefined>; cwd: string }): SendSettings {
  const envFileName = flags.envFile ?? DEFAULTS.envFile;
  const file = readEnvFile(resolve(cwd, envFileName), flags.envFile !== undefined);
  const orgUrl = layer(flags.orgUrl, '--org-url', ENV_VARS.orgUrl, env, file, envFileName);
  const dryRun = flags.dryRun ?? false;
  const via = (flags.via ?? 'risk') as SendVia;
  if (!(SEND_VIAS as readonly string[]).includes(via)) {
    throw new HarnessError('ERR_SETTING_INVALID', `--via must be one of ${SEND_VIAS.join(', ')}; got "${flags.via}".`, {
      setting: '--via',
      fix: "pass --via risk (the Risk Events API, the default) or --via ssf (Security Event Tokens to Okta's Shared Signals receiver, its successor).",
    });
  }
  if (via === 'ssf') refuseRiskOnlyFlags(flags);
  // SETs carry no access token: with --via ssf a client id in the environment or .env is not read.
  const clientId = via === 'ssf' ? undefined : layer(flags.clientId, '--client-id', CLIENT_ID_ENV, env, file, envFileName);
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
    if (!dryRun && !clientId && via === 'risk') {
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
    if (!dryRun && !keyFile && via === 'risk') {
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
  const eventsRateLimit = flags.eventsRateLimit ?? (via === 'ssf' ? EMULATOR_SET_RATE_LIMIT : DEFAULTS.eventsRateLimit);
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
    via,
    ...(via === 'ssf' && { ssf: resolveSsfSendSettings(flags, target, { env, file, envFileName, dryRun }) }),
    dpop: flags.dpop ?? false,
  };
}

/**
 * A sign-in email as `send --via ssf` takes one (`--subject-email`, a record's `email`): a local part of at
 * most 64 and a domain of at most 255 characters (RFC 5321), no white space, quote or backslash. Okta matches
 * it against its users' logins; an email that is no user's is dropped by the org without a trace. Kept here,
 * not in src/send/: the CLI loads the settings for every command, the send pipeline only to send.
 */
export const SIGN_IN_EMAIL = /^[^\s@"\\]{1,64}@[^\s@"\\]{1,255}$/;

/** The flags of the Risk Events API path, refused with --via ssf rather than silently ignored. */
function refuseRiskOnlyFlags(flags: SendFlags): void {
  if (flags.clientId !== undefined) {
    throw new HarnessError('ERR_SETTING_INVALID', '--client-id applies to --via risk: a Security Event Token carries no access token, so --via ssf uses no service app.', {
      setting: '--client-id',
      fix: 'leave --client-id out with --via ssf (the SETs are signed with --key and named by --issuer), or drop --via ssf.',
    });
  }
  if (flags.dpop) {
    throw new HarnessError('ERR_SETTING_INVALID', '--dpop applies to --via risk: a Security Event Token carries no access token, so there is nothing to bind to a DPoP key.', {
      setting: '--dpop',
      fix: 'leave --dpop out with --via ssf, or send through the Risk Events API with --via risk.',
    });
  }
  if (flags.postmanData !== undefined) {
    throw new HarnessError('ERR_SETTING_INVALID', '--postman-data applies to --via risk: the Postman app cannot sign Security Event Tokens.', {
      setting: '--postman-data',
      fix: 'leave --postman-data out with --via ssf, or plan the Risk Events API calls with --via risk.',
    });
  }
}

/**
 * `--via ssf`: SETs carry no access token, so the client id means nothing; they are signed with `--key` (RS256,
 * the only algorithm Okta's receiver documents) and name the provider's `--issuer` and one user.
 */
function resolveSsfSendSettings(
  flags: SendFlags,
  target: SendTarget,
  sources: { env: Record<string, string | undefined>; file: Record<string, string>; envFileName: string; dryRun: boolean },
): SsfSendSettings {
  const { env, file, envFileName, dryRun } = sources;
  const issuer = layer(flags.issuer, '--issuer', SSF_ISSUER_ENV, env, file, envFileName);
  const email = layer(flags.subjectEmail, '--subject-email', SSF_SUBJECT_EMAIL_ENV, env, file, envFileName);
  if (target.kind === 'emulator') {
    if (issuer && flags.issuer !== undefined) {
      throw new HarnessError('ERR_SETTING_INVALID', '--issuer names a provider of your org; the embedded emulator registers the run\'s own issuer and JWKS.', {
        setting: '--issuer',
        fix: 'leave --issuer out to send to the embedded emulator, or pass --org-url with the org the issuer is registered in.',
      });
    }
  } else if (!dryRun) {
    if (!issuer) {
      throw new HarnessError('ERR_SETTING_MISSING', `No issuer for --via ssf to ${target.orgUrl}.`, {
        setting: '--issuer',
        fix: `set --issuer or ${SSF_ISSUER_ENV} to the Issuer URL of your Security Events Provider in the org (Security > Device Integrations > Receive shared signals, or GET /api/v1/security-events-providers: settings.issuer).`,
      });
    }
    if (!target.keyFile) {
      throw new HarnessError('ERR_SETTING_MISSING', `No private key to sign the Security Event Tokens for ${target.orgUrl}.`, {
        setting: '--key',
        fix: "pass --key with the RSA private key whose public JWK the provider's JWKS URL serves (a private JWK, a JWKS with one private key, or a PKCS#8 PEM).",
      });
    }
  }
  if (issuer) {
    assertNoStrayCharacters(issuer.value, issuer.from);
    if (issuer.value.length > SSF_LIMITS.issuer) {
      throw new HarnessError('ERR_SETTING_INVALID', `${issuer.from} is ${issuer.value.length} characters; Okta's providers hold an issuer of at most ${SSF_LIMITS.issuer}.`, {
        setting: issuer.from,
        fix: "copy the provider's settings.issuer exactly as the org shows it.",
      });
    }
  }
  // An org's users are its own: with no --subject-email every signal must name its user (`email`).
  const subjectEmail = email?.value ?? (target.kind === 'emulator' ? EMULATOR_SUBJECT_EMAIL : undefined);
  if (subjectEmail === undefined) return { ...(issuer && { issuer: issuer.value }) };
  const emailFrom = email?.from ?? '--subject-email';
  assertNoStrayCharacters(subjectEmail, emailFrom);
  if (!SIGN_IN_EMAIL.test(subjectEmail)) {
    throw new HarnessError('ERR_SETTING_INVALID', `${emailFrom} must be a sign-in email such as jane.doe@example.com; got "${subjectEmail}".`, {
      setting: emailFrom,
      fix: 'pass the sign-in email (login) of a user of the org.',
    });
  }
  return { ...(issuer && { issuer: issuer.value }), subjectEmail };
}
