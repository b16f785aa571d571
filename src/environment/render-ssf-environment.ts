/**
 * Renders the Postman environment for the SSF receiver collection from its Handlebars template in
 * `environments/`, through the shared renderer (`postman-environment.ts`) that `render-environment.ts` uses for
 * the Risk API collection. This module holds what is the SSF collection's own: its values and their rules.
 */
import { SSF_VARIABLE_NAMES, type SsfVariableName } from '../collection/ssf-collection.ts';
import { SSF_LIMITS } from '../okta/ssf.ts';
import { packagePath } from '../package-root.ts';
import { checkBooleanValue, checkOrgUrlValue, checkPollAttemptsValue, checkTimestampValue, checkWholeNumberValue, invalidValue, renderPostmanEnvironment } from './postman-environment.ts';
import type { PostmanEnvironment, PostmanEnvironmentOptions, PostmanEnvironmentTemplate } from './postman-environment.ts';

export const SSF_ENVIRONMENT_TEMPLATE_FILE = packagePath('environments', 'okta-ssf-receiver.postman_environment.json.hbs');

/** The values of every variable; all strings, the optional ones default to `""`. */
export interface SsfEnvironmentValues {
  /** The org URL, `https://{yourOktaDomain}`, no trailing slash: the base of every request and every SET's `aud`. */
  url: string;
  /** An API token of a super admin, sent as `SSWS {{apikey}}`. Secret. */
  apikey: string;
  /** The provider's `name` (at most 100 characters). */
  providerName: string;
  /** The provider's `type` (at most 255 characters). */
  providerType: string;
  /** The issuer the transmitter signs its SETs as (`settings.issuer`, every SET's `iss`). */
  issuer: string;
  /** Where the org fetches the transmitter's public keys (`settings.jwks_url`). */
  jwksUrl: string;
  /** The provider's id (set by the create script). */
  providerId?: string;
  /** The SET the push request sends (a compact JWS). Secret. */
  securityEventToken?: string;
  /**
   * How many more SETs follow the one in `securityEventToken` through the same push request, which goes again
   * while any do. The runner sets it before each push; default `""` (Postman: the one SET goes once).
   */
  setsLeft?: string;
  /** The sign-in email of the user the SETs are about: what the System Log's events must name. */
  subjectEmail: string;
  /** When the run started (ISO 8601): the System Log query's `since`. */
  runStartedAt: string;
  /** How many receive events the System Log must hold for the provider. */
  expectedEventCount: string;
  /** How many times the System Log is queried before the count is asserted. */
  logPollAttempts: string;
  /** Milliseconds between System Log queries. */
  logPollIntervalMs: string;
  /** `"true"` when the runner resends a rate-limited push itself. Default `""`. */
  retryOnRateLimit?: string;
}

// Fails to compile if the values and the collection's variable names drift apart.
const SAME_NAMES: [keyof SsfEnvironmentValues] extends [SsfVariableName] ? ([SsfVariableName] extends [keyof SsfEnvironmentValues] ? true : never) : never = true;
void SAME_NAMES;

/** Options of {@link renderSsfEnvironment}; `name` defaults to `Okta SSF receiver (<host of url>)`. */
export type RenderSsfEnvironmentOptions = PostmanEnvironmentOptions;

const TEMPLATE: PostmanEnvironmentTemplate<SsfVariableName> = {
  caller: 'renderSsfEnvironment',
  file: SSF_ENVIRONMENT_TEMPLATE_FILE,
  variableNames: SSF_VARIABLE_NAMES,
  optional: new Set(['providerId', 'securityEventToken', 'setsLeft', 'retryOnRateLimit']),
  // The System Log poll's counter, never a setting.
  scriptVariables: ['logPollAttemptsMade'],
  defaultName: (host) => `Okta SSF receiver (${host})`,
  check: checkValues,
};

/** Renders the environment; TypeError for a missing or unknown value, HarnessError for a value of the wrong form. */
export function renderSsfEnvironment(values: SsfEnvironmentValues, options: RenderSsfEnvironmentOptions = {}): PostmanEnvironment<SsfVariableName> {
  return renderPostmanEnvironment(TEMPLATE, values, options);
}

function checkValues(values: Record<SsfVariableName, string>): void {
  checkOrgUrlValue(values.url);
  if (!/^https?:\/\/\S+$/.test(values.jwksUrl)) throw invalidValue('jwksUrl', values.jwksUrl, "the URL of the transmitter's JWKS", "Set jwksUrl to the URL of the transmitter's JWKS, e.g. https://transmitter.example.com/.well-known/jwks.json.");
  if (values.issuer === '' || values.issuer.length > SSF_LIMITS.issuer) {
    throw invalidValue('issuer', values.issuer, `the transmitter's issuer, 1 to ${SSF_LIMITS.issuer} characters`, `Set issuer to the issuer the transmitter signs its SETs as (1 to ${SSF_LIMITS.issuer} characters).`);
  }
  checkTimestampValue('runStartedAt', values.runStartedAt);
  for (const name of ['expectedEventCount', 'logPollAttempts', 'logPollIntervalMs'] as const) checkWholeNumberValue(name, values[name]);
  checkPollAttemptsValue(values.logPollAttempts);
  if (values.setsLeft !== '') checkWholeNumberValue('setsLeft', values.setsLeft);
  checkBooleanValue('retryOnRateLimit', values.retryOnRateLimit);
}
