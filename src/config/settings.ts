/**
 * Every setting verify reads, its default, and where it may come from — in one place (newman's
 * `lib/config` idea). Validated once, here, before anything touches an org.
 *
 * Layering, lowest to highest: built-in defaults < the `.env` file < environment variables < command-line
 * flags. A setting given at a higher layer replaces the lower ones whole.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { HarnessError } from '../errors.ts';
import { MAX_PROVIDER_NAME_LENGTH, RISK_PROVIDER_ACTIONS, type RiskProviderAction } from '../okta/risk-providers.ts';
import { SSF_LIMITS } from '../okta/ssf.ts';
import { assertNoStrayCharacters, checkApiToken, checkOrgUrl, isLoopbackHost } from './org-url.ts';

/** The risk provider actions Okta accepts (the shared contract's enum). */
export const RISK_ACTIONS = RISK_PROVIDER_ACTIONS;
export type RiskAction = RiskProviderAction;

/**
 * Reporters that can be asked for. `html` is the self-contained report (`report.html`, src/report/); `htmlextra`
 * is newman-reporter-htmlextra's page (`htmlextra.html`; it loads its styles and scripts from a CDN). Newman's
 * `json` reporter is not offered: it cannot redact secrets.
 */
export const REPORTERS = ['cli', 'junit', 'html', 'htmlextra'] as const;
export type ReporterName = (typeof REPORTERS)[number];

/** What verify proves: the Risk API flow (Okta's retired path, the default) or the SSF receiver flow. */
export const FLOWS = ['risk', 'ssf'] as const;
export type VerifyFlow = (typeof FLOWS)[number];

/** The user the SSF flow's SETs are about on an emulator: its super admin, the one user it always has. */
export const EMULATOR_SUBJECT_EMAIL = 'admin@example.com';

export const DEFAULTS = {
  /** The guide's example name. */
  providerName: 'Risk Provider Example',
  /** The SSF flow's Security Events Provider name (Okta's guide gives no example; at most 100 characters). */
  ssfProviderName: 'okta-risk-harness SSF transmitter',
  /** The guide's action. */
  action: 'enforce_and_log' as RiskAction,
  reporters: ['cli', 'junit', 'html'] as ReporterName[],
  reportsDir: 'reports',
  /** Where secrets of a run live (git-ignored, 0700): rendered environments, keys, the state journal. */
  workDir: '.runs',
  envFile: '.env',
  /** Calls a minute the embedded emulator allows on the events endpoint (the guide's figure). */
  eventsRateLimit: 3,
  /** The System Log check: how many times to ask, and how long to wait between asks. */
  logPollAttempts: 10,
  logPollIntervalMs: 1000,
} as const;

/** Okta's SDK variable names, so one `.env` serves the SDKs and this tool. */
export const ENV_VARS = { orgUrl: 'OKTA_CLIENT_ORGURL', apiToken: 'OKTA_CLIENT_TOKEN' } as const;

/** What the command line can say; every field optional. */
export interface VerifyFlags {
  orgUrl?: string;
  apiToken?: string;
  emulator?: boolean;
  providerName?: string;
  providerId?: string;
  action?: string;
  events?: string;
  key?: string;
  reporters?: string[];
  reportsDir?: string;
  workDir?: string;
  envFile?: string;
  keep?: boolean;
  force?: boolean;
  dpop?: boolean;
  eventsRateLimit?: number;
  flow?: string;
  jwksUrl?: string;
  subjectEmail?: string;
}

export type Target = { kind: 'emulator' } | { kind: 'org'; orgUrl: string; apiToken: string };

export interface VerifySettings {
  target: Target;
  providerName: string;
  /** Update this provider rather than choosing one. */
  providerId?: string;
  action: RiskAction;
  /**
   * A JSON file of risk events (absent: the guide's sample payload); with `--flow ssf`, of the SETs' events
   * (absent: the run's own two user-risk-change events; see `src/ssf/load-set-events.ts`).
   */
  eventsFile?: string;
  /** A key file; absent means a fresh RSA 2048 key pair. */
  keyFile?: string;
  reporters: ReporterName[];
  reportsDir: string;
  workDir: string;
  keep: boolean;
  force: boolean;
  /**
   * Bind the service app to DPoP (`PUT /api/v1/apps/{id}`) and send a proof with every partner request. Absent
   * or false: Bearer tokens, switching to DPoP only when the org's token endpoint asks for it.
   */
  dpop?: boolean;
  eventsRateLimit: number;
  /** Default `risk`. */
  flow: VerifyFlow;
  /** The SSF flow's settings; present exactly when `flow` is `ssf`. */
  ssf?: SsfSettings;
}

export interface SsfSettings {
  /**
   * Where the org fetches the run's public key. Absent: a loopback server the runner starts (only an org on
   * this machine can reach it: the embedded emulator or a standalone one).
   */
  jwksUrl?: string;
  /** The sign-in email of the user the SETs are about (a user of the org, or they are dropped unlogged). */
  subjectEmail: string;
}

export interface SettingsSources {
  flags: VerifyFlags;
  /** Usually `process.env`. */
  env: Record<string, string | undefined>;
  cwd: string;
}

interface Layered {
  value: string;
  /** How the user spells where it came from, for messages. */
  from: string;
}

export function readEnvFile(path: string, explicit: boolean): Record<string, string> {
  if (!existsSync(path)) {
    if (!explicit) return {};
    throw new HarnessError('ERR_FILE_UNREADABLE', `--env-file ${path} does not exist.`, {
      setting: '--env-file',
      fix: 'point --env-file at an existing file, or leave it out to read ./.env when there is one.',
    });
  }
  const parsed = parseEnv(readFileSync(path, 'utf8'));
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => e[1] !== undefined));
}

export function layer(flag: string | undefined, flagName: string, envName: string, env: Record<string, string | undefined>, file: Record<string, string>, fileName: string): Layered | undefined {
  if (flag !== undefined) return { value: flag, from: flagName };
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, from: envName };
  const fromFile = file[envName];
  if (fromFile !== undefined && fromFile !== '') return { value: fromFile, from: `${envName} in ${fileName}` };
  return undefined;
}

/** `max`: Okta's limit for the name (the Risk Providers API's by default; a Security Events Provider's is 100). */
function checkProviderName(name: string, setting: string, max: number = MAX_PROVIDER_NAME_LENGTH, example = 'Risk Provider Example'): string {
  assertNoStrayCharacters(name, setting);
  // The name goes into JSON request bodies of the shared collection verbatim, as the guide has it.
  // Counted in code points, as Okta's maxLength (and the emulator) counts them.
  const length = [...name].length;
  if (length < 1 || length > max || /["\\\u0000-\u001f\u007f]/.test(name)) {
    throw new HarnessError('ERR_SETTING_INVALID', `${setting} must be 1 to ${max} characters with no quotes, backslashes or control characters (Okta's limit is ${max}).`, {
      setting,
      fix: `choose a name such as "${example}".`,
    });
  }
  return name;
}

/**
 * Where to run: the embedded emulator, or the org named by `--org-url` / `OKTA_CLIENT_ORGURL` with the token of
 * `--api-token` / `OKTA_CLIENT_TOKEN` (flags, then the environment, then the `.env` file).
 */
export function resolveTarget({ flags, env, cwd }: SettingsSources): Target {
  const envFileName = flags.envFile ?? DEFAULTS.envFile;
  const file = readEnvFile(resolve(cwd, envFileName), flags.envFile !== undefined);
  const orgUrl = layer(flags.orgUrl, '--org-url', ENV_VARS.orgUrl, env, file, envFileName);
  const apiToken = layer(flags.apiToken, '--api-token', ENV_VARS.apiToken, env, file, envFileName);
  if (flags.emulator || (!orgUrl && !apiToken)) return { kind: 'emulator' };
  if (!orgUrl) {
    throw new HarnessError('ERR_SETTING_MISSING', `An API token is set (${apiToken!.from}) but no org URL.`, {
      setting: '--org-url',
      fix: `set --org-url or ${ENV_VARS.orgUrl} to your org's URL (https://<your org>.okta.com), or pass --emulator to use the embedded org.`,
    });
  }
  const url = checkOrgUrl(orgUrl.value, orgUrl.from);
  if (!apiToken) {
    throw new HarnessError('ERR_SETTING_MISSING', `No API token for ${url}.`, {
      setting: '--api-token',
      fix: `set ${ENV_VARS.apiToken} (or --api-token) to an API token of a super admin of that org (Security > API > Tokens).`,
    });
  }
  return { kind: 'org', orgUrl: url, apiToken: checkApiToken(apiToken.value, apiToken.from) };
}

/** `--flow` (verify's and env's): which collection, `risk` (the default) or `ssf`. */
export function resolveFlow(flag: string | undefined): VerifyFlow {
  const flow = flag ?? 'risk';
  if (!(FLOWS as readonly string[]).includes(flow)) {
    throw new HarnessError('ERR_SETTING_INVALID', `--flow must be one of ${FLOWS.join(', ')}; got "${flag}".`, {
      setting: '--flow',
      fix: "pass --flow risk (the Risk Providers and Risk Events APIs, the default) or --flow ssf (Okta's Shared Signals receiver, their successor).",
    });
  }
  return flow as VerifyFlow;
}

/** Resolves and validates every verify setting; throws a HarnessError (exit code 2) on the first bad one. */
export function resolveVerifySettings(sources: SettingsSources): VerifySettings {
  const { flags, cwd } = sources;
  const target = resolveTarget(sources);
  const action = flags.action ?? DEFAULTS.action;
  if (!(RISK_ACTIONS as readonly string[]).includes(action)) {
    throw new HarnessError('ERR_SETTING_INVALID', `--action must be one of ${RISK_ACTIONS.join(', ')}; got "${action}".`, {
      setting: '--action',
      fix: `pass --action enforce_and_log (the guide's choice), log_only or none.`,
    });
  }
  const reporters = flags.reporters ?? [...DEFAULTS.reporters];
  for (const r of reporters) {
    if (!(REPORTERS as readonly string[]).includes(r)) {
      throw new HarnessError('ERR_SETTING_INVALID', `--reporters: unknown reporter "${r}".`, {
        setting: '--reporters',
        fix: `choose from ${REPORTERS.join(', ')} (Newman's json reporter is not offered: it writes secrets into the file).`,
      });
    }
  }
  if (flags.providerId !== undefined && !/^[A-Za-z0-9]{1,64}$/.test(flags.providerId)) {
    throw new HarnessError('ERR_SETTING_INVALID', `--provider-id must be an Okta id (letters and digits), got "${flags.providerId}".`, {
      setting: '--provider-id',
      fix: 'copy the id field of a provider from GET /api/v1/risk/providers, or leave --provider-id out.',
    });
  }
  const eventsRateLimit = flags.eventsRateLimit ?? DEFAULTS.eventsRateLimit;
  if (!Number.isInteger(eventsRateLimit) || eventsRateLimit < 1) {
    throw new HarnessError('ERR_SETTING_INVALID', `--events-rate-limit must be a whole number of calls per minute, at least 1.`, {
      setting: '--events-rate-limit',
      fix: 'pass e.g. --events-rate-limit 3 (the guide) or 30 (the API reference).',
    });
  }
  if (flags.keep && flags.dpop) {
    // Postman cannot sign a DPoP proof, so a kept DPoP-bound app could not be used from the environment.
    throw new HarnessError('ERR_SETTING_INVALID', '--keep and --dpop cannot be combined: Postman cannot sign the DPoP proof every partner request of a DPoP-bound app needs.', {
      setting: '--dpop',
      fix: 'leave --dpop out to keep a Bearer-token app for Postman, or leave --keep out to verify the DPoP flow.',
    });
  }
  if (flags.keep && target.kind === 'emulator') {
    // Chosen over starting a standalone emulator that outlives the run: a background process nobody asked
    // for, holding an org with an admin token, is a surprise; one the user starts is not.
    throw new HarnessError('ERR_SETTING_INVALID', '--keep needs an org that outlives the run: the embedded emulator, and everything the run made on it, is gone when verify ends.', {
      setting: '--keep',
      fix: 'start a standalone emulator (npm run emulator -- --port 8787) and run OKTA_CLIENT_TOKEN=<the token it prints> npm run verify -- --org-url http://127.0.0.1:8787 --keep, or point verify at a real org.',
    });
  }
  const flow = resolveFlow(flags.flow);
  if (flow === 'risk') refuseSsfOnlyFlags(flags, "verify Okta's SSF receiver");
  return {
    target,
    flow,
    ...(flow === 'ssf' && { ssf: resolveSsfSettings(flags, target) }),
    providerName:
      flow === 'ssf'
        ? checkProviderName(flags.providerName ?? DEFAULTS.ssfProviderName, '--provider-name', SSF_LIMITS.name, DEFAULTS.ssfProviderName)
        : checkProviderName(flags.providerName ?? DEFAULTS.providerName, '--provider-name'),
    providerId: flags.providerId,
    action: action as RiskAction,
    eventsFile: flags.events === undefined ? undefined : resolve(cwd, flags.events),
    keyFile: flags.key === undefined ? undefined : resolve(cwd, flags.key),
    reporters: [...new Set(reporters)] as ReporterName[],
    reportsDir: resolve(cwd, flags.reportsDir ?? DEFAULTS.reportsDir),
    workDir: resolve(cwd, flags.workDir ?? DEFAULTS.workDir),
    keep: flags.keep ?? false,
    force: flags.force ?? false,
    dpop: flags.dpop ?? false,
    eventsRateLimit,
  };
}

/** The risk flow's flags that mean nothing to the SSF flow: refused rather than silently ignored. */
const RISK_ONLY_FLAGS = [
  ['action', '--action'],
  ['providerId', '--provider-id'],
  ['force', '--force'],
  ['dpop', '--dpop'],
] as const;

/** A sign-in email as Okta's login takes it, simple enough to go into a SET and a System Log filter. */
const SIGN_IN_EMAIL = /^[^\s@"\\]{1,64}@[^\s@"\\]{1,255}$/;

function resolveSsfSettings(flags: VerifyFlags, target: Target): SsfSettings {
  refuseRiskOnlyFlags(flags);
  if (flags.keep) {
    throw new HarnessError('ERR_SETTING_INVALID', '--keep is not offered with --flow ssf yet: the SETs a run pushes are spent (each jti once), and Postman cannot mint new ones.', {
      setting: '--keep',
      fix: "leave --keep out with --flow ssf; to go on in the Postman app, write the SSF collection's environment with okta-risk env --flow ssf (the collection registers and deletes a provider of its own, and env signs the SET Postman cannot).",
    });
  }
  if (flags.jwksUrl === undefined && !isOnThisMachine(target)) {
    throw new HarnessError('ERR_SETTING_MISSING', `--flow ssf against ${whereOf(target)} needs --jwks-url: the org fetches the run's public key from Okta's cloud, so it must be published at a public https URL.`, {
      setting: '--jwks-url',
      fix: JWKS_URL_FIX,
    });
  }
  checkJwksUrlFlag(flags);
  return { ...(flags.jwksUrl !== undefined && { jwksUrl: flags.jwksUrl }), subjectEmail: resolveSubjectEmail(flags, target) };
}

/** What `okta-risk env --flow ssf` renders the SSF receiver collection's environment from. */
export interface SsfEnvironmentSettings {
  /** The org the environment is for: a real org or a standalone emulator. */
  target: Extract<Target, { kind: 'org' }>;
  /** The Security Events Provider's name. Default `okta-risk-harness SSF transmitter`; at most 100 characters. */
  providerName: string;
  /** Where the org fetches the transmitter's public keys: required, env serves none. */
  jwksUrl: string;
  /** The RSA private key whose public JWK `jwksUrl` serves: the SET is signed with it. Required. */
  keyFile: string;
  /** The sign-in email of the user the SET is about. Default on an org on this machine `admin@example.com`. */
  subjectEmail: string;
}

/**
 * The settings of `okta-risk env --flow ssf`, validated as `verify --flow ssf` validates its own, but that
 * `--jwks-url` is always required: env serves no JWKS once it has written the file. `clientId` is env's
 * `--client-id`, which belongs to the Risk API flow.
 */
export function resolveSsfEnvironmentSettings(flags: VerifyFlags & { clientId?: string }, target: Extract<Target, { kind: 'org' }>, cwd: string): SsfEnvironmentSettings {
  if (flags.events !== undefined) {
    throw new HarnessError('ERR_SETTING_INVALID', '--events applies to verify, not to env --flow ssf: env signs the one SET the environment holds, a user-risk-change about --subject-email.', {
      setting: '--events',
      fix: 'leave --events out; to push the events of a file, run okta-risk verify --flow ssf --events <file>.',
    });
  }
  refuseRiskOnlyFlags(flags, [['clientId', '--client-id']]);
  if (flags.jwksUrl === undefined) {
    throw new HarnessError('ERR_SETTING_MISSING', 'env --flow ssf needs --jwks-url: the org fetches the transmitter\'s public key from that URL when a SET arrives, and env serves nothing once it has written the file.', {
      setting: '--jwks-url',
      fix: JWKS_URL_FIX,
    });
  }
  checkJwksUrlFlag(flags);
  return {
    target,
    providerName: checkProviderName(flags.providerName ?? DEFAULTS.ssfProviderName, '--provider-name', SSF_LIMITS.name, DEFAULTS.ssfProviderName),
    jwksUrl: flags.jwksUrl,
    keyFile: resolve(cwd, flags.key!),
    subjectEmail: resolveSubjectEmail(flags, target, 'the SET reports a low risk for it'),
  };
}

/** The SSF flow's flags that mean nothing to the Risk API flow (verify and env refuse them with --flow risk). */
const SSF_ONLY_FLAGS = [
  ['jwksUrl', '--jwks-url'],
  ['subjectEmail', '--subject-email'],
] as const;

/**
 * Refuses `--jwks-url` and `--subject-email` with the Risk API flow rather than ignoring them (verify and env).
 * `withSsf` says what adding `--flow ssf` would do instead. Default: env's.
 */
export function refuseSsfOnlyFlags(flags: VerifyFlags, withSsf = "render the SSF receiver collection's environment"): void {
  for (const [key, flag] of SSF_ONLY_FLAGS) {
    if (flags[key] !== undefined) {
      throw new HarnessError('ERR_SETTING_INVALID', `${flag} applies to --flow ssf, not to the Risk API flow.`, {
        setting: flag,
        fix: `add --flow ssf to ${withSsf}, or leave ${flag} out.`,
      });
    }
  }
}

const JWKS_URL_FIX =
  'publish {"keys": [<public JWK>]} (okta-risk keys --out <folder> writes public.jwk.json) at a public https URL served as application/json, then pass --jwks-url <that URL> --key <folder>/private.jwk.json.';

function refuseRiskOnlyFlags<F extends VerifyFlags>(flags: F, more: ReadonlyArray<readonly [keyof F, string]> = []): void {
  for (const [key, flag] of [...RISK_ONLY_FLAGS, ...more] as ReadonlyArray<readonly [keyof F, string]>) {
    if (flags[key] !== undefined) {
      throw new HarnessError('ERR_SETTING_INVALID', `${flag} applies to the Risk API flow, not to --flow ssf.`, {
        setting: flag,
        fix: `leave ${flag} out with --flow ssf (the SSF flow registers a provider of its own and pushes its own SETs), or drop --flow ssf.`,
      });
    }
  }
}

/** `--jwks-url` needs `--key`, and holds no stray characters. */
function checkJwksUrlFlag(flags: VerifyFlags): void {
  if (flags.jwksUrl === undefined) return;
  if (flags.key === undefined) {
    throw new HarnessError('ERR_SETTING_MISSING', '--jwks-url needs --key: the SETs must be signed with the private half of the key that URL publishes, and a fresh key is published nowhere.', {
      setting: '--key',
      fix: 'pass --key with the private key whose public JWK the --jwks-url JWKS holds.',
    });
  }
  assertNoStrayCharacters(flags.jwksUrl, '--jwks-url');
}

function isOnThisMachine(target: Target): boolean {
  return target.kind === 'emulator' || isLoopbackHost(new URL(target.orgUrl).hostname);
}

function whereOf(target: Target): string {
  return target.kind === 'org' ? target.orgUrl : 'the org';
}

/**
 * `--subject-email`: required against an org that is not on this machine, `admin@example.com` on one that is.
 * `whatTheSetsSay`: what the SETs report for the user, for the fix.
 */
function resolveSubjectEmail(flags: VerifyFlags, target: Target, whatTheSetsSay = 'the SETs report a low risk for it, then none again'): string {
  let subjectEmail = flags.subjectEmail;
  if (subjectEmail === undefined) {
    if (!isOnThisMachine(target)) {
      throw new HarnessError('ERR_SETTING_MISSING', `--flow ssf against ${whereOf(target)} needs --subject-email: the SETs must name a user of the org by sign-in email, or Okta drops them without a trace.`, {
        setting: '--subject-email',
        fix: `pass --subject-email with the sign-in email of a test user of that org (${whatTheSetsSay}).`,
      });
    }
    subjectEmail = EMULATOR_SUBJECT_EMAIL;
  }
  assertNoStrayCharacters(subjectEmail, '--subject-email');
  if (!SIGN_IN_EMAIL.test(subjectEmail)) {
    throw new HarnessError('ERR_SETTING_INVALID', `--subject-email must be a sign-in email such as jane.doe@example.com; got "${subjectEmail}".`, {
      setting: '--subject-email',
      fix: 'pass the sign-in email (login) of a user of the org.',
    });
  }
  return subjectEmail;
}
