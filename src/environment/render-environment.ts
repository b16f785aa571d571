/**
 * Renders the Postman environment (export format) for the risk-provider collection from the Handlebars
 * template in `environments/`. Every value is inserted through the `json` helper (JSON.stringify), so
 * quotes, backslashes, newlines or `{{` in a value can never break the JSON or inject a member.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { HarnessError } from '../errors.ts';
import { privateMembersOf } from '../okta/jwk.ts';
import { RISK_ACTIONS, SCRIPT_VARIABLES, SECRET_VARIABLES, VARIABLE_NAMES, type VariableName } from '../collection/collection.ts';
import { packagePath, packageVersion } from '../package-root.ts';

/** The template file; Postman users can render it themselves with any Handlebars that has a `json` helper. */
export const ENVIRONMENT_TEMPLATE_FILE = packagePath('environments', 'okta-risk-provider.postman_environment.json.hbs');

/** The values of every environment variable. All strings; the optional ones default to `""`. */
export interface EnvironmentValues {
  /** The org URL, `https://{yourOktaDomain}` with no trailing slash (Okta's variable name). */
  url: string;
  /** The Okta API token sent as `SSWS {{apikey}}` (Okta's variable name). Secret. */
  apikey: string;
  /** The provider's name: the service app's `client_name` and the risk provider's `name`. */
  providerName: string;
  /** The public JWK as a JSON string, what the guide copies from mkjwk's "Public Key". */
  publicKey: string;
  /** The risk provider action: `none`, `log_only` or `enforce_and_log`. */
  riskAction: string;
  /** The JSON array of risk events sent as the events request body. */
  riskEvents: string;
  /** The service app's client ID (set by the create-client script). */
  clientId?: string;
  /** The scope grant's ID (set by the grant script). */
  grantId?: string;
  /** The risk provider to update; empty lets the list script pick a free one. */
  providerId?: string;
  /** The provider's name before the run, for teardown (set by the list script). */
  previousProviderName?: string;
  /** The provider's clientId before the run, for teardown (set by the list script). */
  previousProviderClientId?: string;
  /** The provider's action before the run, for teardown (set by the list script). */
  previousProviderAction?: string;
  /** A client assertion JWT signed with the provider's private key. Secret. */
  clientAssertion?: string;
  /**
   * The provider's private key as a PKCS#8 PEM, for the Postman app only: with it the token request mints its own
   * client assertion (Postman's JWT Bearer auth). A file the harness writes never holds a key, so this renders
   * only as `""`; people paste the key into Postman's environment themselves. Secret.
   */
  clientPrivateKey?: string;
  /** The provider's access token (set by the token script). Secret. */
  accessToken?: string;
  /**
   * The DPoP proof for the next partner request, minted by the runner for a DPoP-bound app (`verify --dpop`):
   * the partner requests' pre-request scripts send it as `DPoP` (and the token as `Authorization: DPoP`).
   * Empty: no proof, `Bearer`. Secret.
   */
  dpopProof?: string;
  /** When the run started (ISO 8601): the System Log query's `since`. */
  runStartedAt: string;
  /** How many risk signals (subjects) the events carry: what the System Log must count. */
  expectedSignalCount: string;
  /** How many times the System Log is queried before the count is asserted. */
  logPollAttempts: string;
  /** Milliseconds between System Log queries. */
  logPollIntervalMs: string;
  /** `"true"` takes over a provider linked to another client. Default `""` (false). */
  force?: string;
  /** `"true"` when the runner resends a rate-limited batch itself. Default `""` (false). */
  retryOnRateLimit?: string;
}

// Fails to compile if EnvironmentValues and the collection's variable names drift apart.
const SAME_NAMES: [keyof EnvironmentValues] extends [VariableName] ? ([VariableName] extends [keyof EnvironmentValues] ? true : never) : never = true;
void SAME_NAMES;

/** Options of {@link renderEnvironment}. */
export interface RenderEnvironmentOptions {
  /** The environment's `id`. Default: a random UUID. */
  id?: string;
  /** The environment's `name`. Default: `Okta risk provider (<host of url>)`. */
  name?: string;
  /** The `_postman_exported_at` time. Default: now. */
  currentDate?: Date;
  /** The version in `_postman_exported_using: "okta-risk-harness/<version>"`. Default: package.json's. */
  version?: string;
}

/** One variable of a Postman environment export. */
export interface PostmanEnvironmentValue {
  key: VariableName;
  value: string;
  type: 'default' | 'secret';
  enabled: true;
}

/** A Postman environment in the app's export format. */
export interface PostmanEnvironment {
  id: string;
  name: string;
  values: PostmanEnvironmentValue[];
  _postman_variable_scope: 'environment';
  _postman_exported_at: string;
  _postman_exported_using: string;
}

const OPTIONAL: ReadonlySet<VariableName> = new Set([
  'clientId',
  'grantId',
  'providerId',
  'previousProviderName',
  'previousProviderClientId',
  'previousProviderAction',
  'clientAssertion',
  'clientPrivateKey',
  'accessToken',
  'dpopProof',
  'force',
  'retryOnRateLimit',
]);

let compiled: Handlebars.TemplateDelegate | undefined;

/** Compiles the template once, in a Handlebars instance of its own (the HTML reporter has its own helpers). */
function template(): Handlebars.TemplateDelegate {
  if (!compiled) {
    const handlebars = Handlebars.create();
    handlebars.registerHelper('json', (value: unknown) => {
      if (typeof value !== 'string') throw new TypeError(`the template's json helper takes strings, got ${typeof value}`);
      return new handlebars.SafeString(JSON.stringify(value));
    });
    // strict: a misspelt name throws instead of rendering empty; knownHelpersOnly: no other helper can run.
    compiled = handlebars.compile(readFileSync(ENVIRONMENT_TEMPLATE_FILE, 'utf8'), {
      strict: true,
      knownHelpers: { json: true },
      knownHelpersOnly: true,
    });
  }
  return compiled;
}

/**
 * Renders the environment for `values` and returns the parsed export. Throws `TypeError` for a missing,
 * unknown or non-string value, and HarnessError `ERR_SETTING_INVALID` for a value of the wrong form. The
 * scripts' transient variables (`SCRIPT_VARIABLES`) are left out of the result.
 */
export function renderEnvironment(values: EnvironmentValues, options: RenderEnvironmentOptions = {}): PostmanEnvironment {
  const complete = completeValues(values);
  checkValues(complete);
  const currentDate = options.currentDate ?? new Date();
  if (!(currentDate instanceof Date) || Number.isNaN(currentDate.getTime())) throw new TypeError('renderEnvironment: currentDate must be a valid Date');

  const text = template()({
    id: options.id ?? randomUUID(),
    name: options.name ?? `Okta risk provider (${new URL(complete.url).host})`,
    exportedAt: currentDate.toISOString(),
    exportedUsing: `okta-risk-harness/${options.version ?? packageVersion()}`,
    values: complete,
  });
  const environment = JSON.parse(text) as PostmanEnvironment;
  const keys = environment.values.map((value) => value.key);
  // The template and the variable list are edited by hand; refuse a render that lost or added a variable.
  if (keys.join() !== VARIABLE_NAMES.join()) throw new Error(`the environment template's variables (${keys.join(', ')}) are not ${VARIABLE_NAMES.join(', ')}`);
  return environment;
}

/** True for the variables whose values must be redacted from reports and logs. */
export function isSecretVariable(name: string): boolean {
  return (SECRET_VARIABLES as readonly string[]).includes(name);
}

function completeValues(values: EnvironmentValues): Record<VariableName, string> {
  if (typeof values !== 'object' || values === null) throw new TypeError('renderEnvironment: values must be an object');
  // The scripts' own transient variables may be left in an environment a run carried; they are not settings.
  const scriptVariables: readonly string[] = Object.values(SCRIPT_VARIABLES);
  const unknown = Object.keys(values).filter((key) => !(VARIABLE_NAMES as readonly string[]).includes(key) && !scriptVariables.includes(key));
  if (unknown.length > 0) throw new TypeError(`renderEnvironment: unknown variables ${unknown.join(', ')}`);
  const out = {} as Record<VariableName, string>;
  for (const name of VARIABLE_NAMES) {
    const value = values[name];
    if (value === undefined && OPTIONAL.has(name)) out[name] = '';
    else if (typeof value === 'string') out[name] = value;
    else throw new TypeError(`renderEnvironment: ${name} must be a string${OPTIONAL.has(name) ? ' when given' : ''}`);
  }
  return out;
}

function checkValues(values: Record<VariableName, string>): void {
  const invalid = (name: VariableName, expected: string, fix: string): HarnessError =>
    new HarnessError('ERR_SETTING_INVALID', `The environment value ${name} must be ${expected}; got ${JSON.stringify(values[name])}.`, {
      setting: name,
      fix,
    });

  if (!isOrigin(values.url)) {
    throw invalid('url', 'the org URL, https://{yourOktaDomain} with no path or trailing slash', 'Set url to the org URL, e.g. https://example.okta.com (not the -admin URL, no trailing "/").');
  }
  checkPublicKey(values.publicKey);
  // Never echo the value: it may hold a private key.
  if (values.clientPrivateKey !== '') {
    throw new HarnessError('ERR_SETTING_INVALID', 'The environment value clientPrivateKey must be empty in a file okta-risk writes: an environment file never holds a private key.', {
      setting: 'clientPrivateKey',
      fix: "Leave clientPrivateKey out; paste the PKCS#8 PEM into the Postman app's environment yourself (its current value, type secret), or use clientAssertion from `okta-risk assertion`.",
    });
  }
  if (!(RISK_ACTIONS as readonly string[]).includes(values.riskAction)) {
    throw invalid('riskAction', `one of ${RISK_ACTIONS.join(', ')}`, `Set riskAction to ${RISK_ACTIONS.join(', ')}.`);
  }
  if (!isJsonArray(values.riskEvents)) throw invalid('riskEvents', 'a JSON array of risk events', 'Set riskEvents to the JSON array the events request sends.');
  if (!isIsoTimestamp(values.runStartedAt)) {
    throw invalid('runStartedAt', 'an ISO 8601 UTC timestamp', 'Set runStartedAt to a time such as 2026-01-31T12:00:00.000Z.');
  }
  for (const name of ['expectedSignalCount', 'logPollAttempts', 'logPollIntervalMs'] as const) {
    if (!/^(0|[1-9][0-9]{0,8})$/.test(values[name])) throw invalid(name, 'a whole number written in digits', `Set ${name} to a whole number such as 3.`);
  }
  if (values.logPollAttempts === '0') throw invalid('logPollAttempts', 'at least 1', 'Set logPollAttempts to 1 or more.');
  for (const name of ['force', 'retryOnRateLimit'] as const) {
    if (!['', 'true', 'false'].includes(values[name])) throw invalid(name, '"true" or "false"', `Set ${name} to "true" or "false".`);
  }
}

/** The environment must never carry private key material: publicKey must be a public JWK. */
function checkPublicKey(text: string): void {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    jwk = undefined;
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || typeof (jwk as { kty?: unknown }).kty !== 'string') {
    throw new HarnessError('ERR_SETTING_INVALID', `The environment value publicKey must be a public JWK as JSON; got ${JSON.stringify(text.slice(0, 40))}.`, {
      setting: 'publicKey',
      fix: 'Set publicKey to the public JWK of the provider key pair (mkjwk\'s "Public Key").',
    });
  }
  const privateMembers = privateMembersOf(jwk);
  // Never echo the value: it holds private key material.
  if (privateMembers.length > 0) {
    throw new HarnessError('ERR_SETTING_INVALID', `The environment value publicKey holds private key members (${privateMembers.join(', ')}).`, {
      setting: 'publicKey',
      fix: 'Put only the public JWK in publicKey; the private key stays in the key file.',
    });
  }
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
  } catch {
    return false;
  }
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

function isIsoTimestamp(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(text) && !Number.isNaN(Date.parse(text));
}
