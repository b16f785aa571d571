/**
 * Renders the Postman environment for the SSF receiver collection from its Handlebars template in
 * `environments/`, as `render-environment.ts` does for the Risk API collection: every value through the `json`
 * helper, a strict template, and the variables checked against the collection's list.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { SSF_VARIABLE_NAMES, type SsfVariableName } from '../collection/ssf-collection.ts';
import { HarnessError } from '../errors.ts';
import { packagePath, packageVersion } from '../package-root.ts';
import type { PostmanEnvironment } from './render-environment.ts';

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

const OPTIONAL: ReadonlySet<SsfVariableName> = new Set(['providerId', 'securityEventToken', 'retryOnRateLimit']);
/** The scripts' own transient variable (the System Log poll's counter), never a setting. */
const SCRIPT_VARIABLES = ['logPollAttemptsMade'];

let compiled: Handlebars.TemplateDelegate | undefined;

function template(): Handlebars.TemplateDelegate {
  if (!compiled) {
    const handlebars = Handlebars.create();
    handlebars.registerHelper('json', (value: unknown) => {
      if (typeof value !== 'string') throw new TypeError(`the template's json helper takes strings, got ${typeof value}`);
      return new handlebars.SafeString(JSON.stringify(value));
    });
    compiled = handlebars.compile(readFileSync(SSF_ENVIRONMENT_TEMPLATE_FILE, 'utf8'), { strict: true, knownHelpers: { json: true }, knownHelpersOnly: true });
  }
  return compiled;
}

/** Renders the environment; TypeError for a missing or unknown value, HarnessError for a value of the wrong form. */
export function renderSsfEnvironment(values: SsfEnvironmentValues, options: { id?: string; name?: string; currentDate?: Date } = {}): PostmanEnvironment {
  if (typeof values !== 'object' || values === null) throw new TypeError('renderSsfEnvironment: values must be an object');
  const unknown = Object.keys(values).filter((k) => !(SSF_VARIABLE_NAMES as readonly string[]).includes(k) && !SCRIPT_VARIABLES.includes(k));
  if (unknown.length > 0) throw new TypeError(`renderSsfEnvironment: unknown variables ${unknown.join(', ')}`);
  const complete = {} as Record<SsfVariableName, string>;
  for (const name of SSF_VARIABLE_NAMES) {
    const value = values[name];
    if (value === undefined && OPTIONAL.has(name)) complete[name] = '';
    else if (typeof value === 'string') complete[name] = value;
    else throw new TypeError(`renderSsfEnvironment: ${name} must be a string`);
  }
  const invalid = (name: SsfVariableName, expected: string): HarnessError =>
    new HarnessError('ERR_SETTING_INVALID', `The environment value ${name} must be ${expected}; got ${JSON.stringify(complete[name].slice(0, 80))}.`, { setting: name, fix: `Set ${name} to ${expected}.` });
  if (!isOrigin(complete.url)) throw invalid('url', 'the org URL, https://{yourOktaDomain} with no path or trailing slash');
  if (!/^https?:\/\/\S+$/.test(complete.jwksUrl)) throw invalid('jwksUrl', 'the URL of the transmitter\'s JWKS');
  if (complete.issuer === '' || complete.issuer.length > 700) throw invalid('issuer', 'the transmitter\'s issuer, 1 to 700 characters');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(complete.runStartedAt)) throw invalid('runStartedAt', 'an ISO 8601 UTC timestamp');
  for (const name of ['expectedEventCount', 'logPollAttempts', 'logPollIntervalMs'] as const) {
    if (!/^(0|[1-9][0-9]{0,8})$/.test(complete[name])) throw invalid(name, 'a whole number written in digits');
  }
  const currentDate = options.currentDate ?? new Date();
  const text = template()({
    id: options.id ?? randomUUID(),
    name: options.name ?? `Okta SSF receiver (${new URL(complete.url).host})`,
    exportedAt: currentDate.toISOString(),
    exportedUsing: `okta-risk-harness/${packageVersion()}`,
    values: complete,
  });
  const environment = JSON.parse(text) as PostmanEnvironment;
  const keys = environment.values.map((v) => v.key as string);
  if (keys.join() !== SSF_VARIABLE_NAMES.join()) throw new Error(`the SSF environment template's variables (${keys.join(', ')}) are not ${SSF_VARIABLE_NAMES.join(', ')}`);
  return environment;
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
  } catch {
    return false;
  }
}
