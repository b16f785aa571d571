/**
 * Renders the Postman environment (export format) for the risk-provider collection from the Handlebars
 * template in `environments/`, through the shared renderer (`postman-environment.ts`: every value through the
 * `json` helper, a strict template, the variables checked against `collection.ts`). This module holds what is
 * the Risk API collection's own: its values, which are optional, and the rules for their forms.
 */
import { HarnessError } from '../errors.ts';
import { privateMembersOf } from '../okta/jwk.ts';
import { RISK_ACTIONS, SCRIPT_VARIABLES, SECRET_VARIABLES, VARIABLE_NAMES, type VariableName } from '../collection/collection.ts';
import { packagePath } from '../package-root.ts';
import { checkBooleanValue, checkOrgUrlValue, checkPollAttemptsValue, checkTimestampValue, checkWholeNumberValue, invalidValue, renderPostmanEnvironment } from './postman-environment.ts';
import type { PostmanEnvironment as GenericPostmanEnvironment, PostmanEnvironmentOptions, PostmanEnvironmentTemplate, PostmanEnvironmentValue as GenericPostmanEnvironmentValue } from './postman-environment.ts';

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

/** Options of {@link renderEnvironment}; `name` defaults to `Okta risk provider (<host of url>)`. */
export type RenderEnvironmentOptions = PostmanEnvironmentOptions;

/** A Postman environment of the Risk API collection, in the app's export format. */
export type PostmanEnvironment = GenericPostmanEnvironment<VariableName>;
/** One variable of {@link PostmanEnvironment}. */
export type PostmanEnvironmentValue = GenericPostmanEnvironmentValue<VariableName>;

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

const TEMPLATE: PostmanEnvironmentTemplate<VariableName> = {
  caller: 'renderEnvironment',
  file: ENVIRONMENT_TEMPLATE_FILE,
  variableNames: VARIABLE_NAMES,
  optional: OPTIONAL,
  // The scripts' own transient variables may be left in an environment a run carried; they are not settings.
  scriptVariables: Object.values(SCRIPT_VARIABLES),
  defaultName: (host) => `Okta risk provider (${host})`,
  check: checkValues,
};

/**
 * Renders the environment for `values` and returns the parsed export. Throws `TypeError` for a missing,
 * unknown or non-string value, and HarnessError `ERR_SETTING_INVALID` for a value of the wrong form. The
 * scripts' transient variables (`SCRIPT_VARIABLES`) are left out of the result.
 */
export function renderEnvironment(values: EnvironmentValues, options: RenderEnvironmentOptions = {}): PostmanEnvironment {
  return renderPostmanEnvironment(TEMPLATE, values, options);
}

/** True for the variables whose values must be redacted from reports and logs. */
export function isSecretVariable(name: string): boolean {
  return (SECRET_VARIABLES as readonly string[]).includes(name);
}

function checkValues(values: Record<VariableName, string>): void {
  checkOrgUrlValue(values.url);
  checkPublicKey(values.publicKey);
  // Never echo the value: it may hold a private key.
  if (values.clientPrivateKey !== '') {
    throw new HarnessError('ERR_SETTING_INVALID', 'The environment value clientPrivateKey must be empty in a file okta-risk writes: an environment file never holds a private key.', {
      setting: 'clientPrivateKey',
      fix: "Leave clientPrivateKey out; paste the PKCS#8 PEM into the Postman app's environment yourself (its current value, type secret), or use clientAssertion from `okta-risk assertion`.",
    });
  }
  if (!(RISK_ACTIONS as readonly string[]).includes(values.riskAction)) {
    throw invalidValue('riskAction', values.riskAction, `one of ${RISK_ACTIONS.join(', ')}`, `Set riskAction to ${RISK_ACTIONS.join(', ')}.`);
  }
  if (!isJsonArray(values.riskEvents)) throw invalidValue('riskEvents', values.riskEvents, 'a JSON array of risk events', 'Set riskEvents to the JSON array the events request sends.');
  checkTimestampValue('runStartedAt', values.runStartedAt);
  for (const name of ['expectedSignalCount', 'logPollAttempts', 'logPollIntervalMs'] as const) checkWholeNumberValue(name, values[name]);
  checkPollAttemptsValue(values.logPollAttempts);
  for (const name of ['force', 'retryOnRateLimit'] as const) checkBooleanValue(name, values[name]);
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

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}
