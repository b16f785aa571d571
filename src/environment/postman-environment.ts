/**
 * Renders a Postman environment (export format) from one of the Handlebars templates in `environments/`: the
 * one renderer behind `renderEnvironment` (the Risk API collection) and `renderSsfEnvironment` (the SSF
 * receiver collection). Every value is inserted through the `json` helper (JSON.stringify), so quotes,
 * backslashes, newlines or `{{` in a value can never break the JSON or inject a member; the template is strict,
 * so a misspelt name throws; and the rendered variables must be exactly the collection's.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { HarnessError } from '../errors.ts';
import { packageVersion } from '../package-root.ts';

/** One variable of a Postman environment export. */
export interface PostmanEnvironmentValue<N extends string = string> {
  key: N;
  value: string;
  type: 'default' | 'secret';
  enabled: true;
}

/** A Postman environment in the app's export format. */
export interface PostmanEnvironment<N extends string = string> {
  id: string;
  name: string;
  values: PostmanEnvironmentValue<N>[];
  _postman_variable_scope: 'environment';
  _postman_exported_at: string;
  _postman_exported_using: string;
}

/** Options of a render: the export's metadata. */
export interface PostmanEnvironmentOptions {
  /** The environment's `id`. Default: a random UUID. */
  id?: string;
  /** The environment's `name`. Default: the collection's own, naming the host of `url` (see its renderer). */
  name?: string;
  /** The `_postman_exported_at` time. Default: now. */
  currentDate?: Date;
  /** The version in `_postman_exported_using: "okta-risk-harness/<version>"`. Default: package.json's. */
  version?: string;
}

/** What a collection's renderer tells the shared one: its template, its variables and its rules. */
export interface PostmanEnvironmentTemplate<N extends string> {
  /** The public function's name, for `TypeError` messages: `renderEnvironment: …`. */
  caller: string;
  /** The Handlebars template file; its variables must be `variableNames`, in order. */
  file: string;
  /** The collection's variable names, in the template's order. Every one must be given, but `optional`. */
  variableNames: readonly N[];
  /** The variables that may be left out; they render as `""`. */
  optional: ReadonlySet<N>;
  /** The scripts' own transient variables: a run may carry them in, they are not settings and are left out. */
  scriptVariables: readonly string[];
  /** The environment's `name` when `options.name` is not given, from the host of `url`. */
  defaultName: (host: string) => string;
  /** Checks the complete values' forms; throws HarnessError `ERR_SETTING_INVALID` for a value of the wrong form. */
  check: (values: Record<N, string>) => void;
}

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** Compiles a template once, in a Handlebars instance of its own (the HTML reporter has its own helpers). */
function compile(file: string): Handlebars.TemplateDelegate {
  let template = compiled.get(file);
  if (!template) {
    const handlebars = Handlebars.create();
    handlebars.registerHelper('json', (value: unknown) => {
      if (typeof value !== 'string') throw new TypeError(`the template's json helper takes strings, got ${typeof value}`);
      return new handlebars.SafeString(JSON.stringify(value));
    });
    // strict: a misspelt name throws instead of rendering empty; knownHelpersOnly: no other helper can run.
    template = handlebars.compile(readFileSync(file, 'utf8'), { strict: true, knownHelpers: { json: true }, knownHelpersOnly: true });
    compiled.set(file, template);
  }
  return template;
}

/**
 * Renders `values` through `template` and returns the parsed export. Throws `TypeError` for a missing, unknown
 * or non-string value, HarnessError `ERR_SETTING_INVALID` (from `template.check`) for a value of the wrong form,
 * and `Error` when the template's variables are not the collection's.
 */
export function renderPostmanEnvironment<N extends string>(template: PostmanEnvironmentTemplate<N>, values: Partial<Record<N, string>>, options: PostmanEnvironmentOptions = {}): PostmanEnvironment<N> {
  const complete = completeValues(template, values);
  template.check(complete);
  const currentDate = options.currentDate ?? new Date();
  if (!(currentDate instanceof Date) || Number.isNaN(currentDate.getTime())) throw new TypeError(`${template.caller}: currentDate must be a valid Date`);
  const url = (complete as Record<string, string>).url;
  const text = compile(template.file)({
    id: options.id ?? randomUUID(),
    name: options.name ?? template.defaultName(url === undefined ? '' : new URL(url).host),
    exportedAt: currentDate.toISOString(),
    exportedUsing: `okta-risk-harness/${options.version ?? packageVersion()}`,
    values: complete,
  });
  const environment = JSON.parse(text) as PostmanEnvironment<N>;
  const keys = environment.values.map((value) => value.key);
  // The template and the variable list are edited by hand; refuse a render that lost or added a variable.
  if (keys.join() !== template.variableNames.join()) {
    throw new Error(`the environment template ${template.file}'s variables (${keys.join(', ')}) are not ${template.variableNames.join(', ')}`);
  }
  return environment;
}

function completeValues<N extends string>(template: PostmanEnvironmentTemplate<N>, values: Partial<Record<N, string>>): Record<N, string> {
  if (typeof values !== 'object' || values === null) throw new TypeError(`${template.caller}: values must be an object`);
  const names: readonly string[] = template.variableNames;
  const unknown = Object.keys(values).filter((key) => !names.includes(key) && !template.scriptVariables.includes(key));
  if (unknown.length > 0) throw new TypeError(`${template.caller}: unknown variables ${unknown.join(', ')}`);
  const out = {} as Record<N, string>;
  for (const name of template.variableNames) {
    const value: unknown = values[name];
    const optional = template.optional.has(name);
    if (value === undefined && optional) out[name] = '';
    else if (typeof value === 'string') out[name] = value;
    else throw new TypeError(`${template.caller}: ${name} must be a string${optional ? ' when given' : ''}`);
  }
  return out;
}

// The checks both collections' variables share.

/** HarnessError `ERR_SETTING_INVALID` for the environment value `name`, echoing at most 80 characters of it. */
export function invalidValue(name: string, value: string, expected: string, fix: string): HarnessError {
  return new HarnessError('ERR_SETTING_INVALID', `The environment value ${name} must be ${expected}; got ${JSON.stringify(value.slice(0, 80))}.`, { setting: name, fix });
}

/** `url`: the org URL, `https://{yourOktaDomain}` with no path or trailing slash (Okta's variable). */
export function checkOrgUrlValue(url: string): void {
  if (!isOrigin(url)) {
    throw invalidValue('url', url, 'the org URL, https://{yourOktaDomain} with no path or trailing slash', 'Set url to the org URL, e.g. https://example.okta.com (not the -admin URL, no trailing "/").');
  }
}

/** `runStartedAt`: an ISO 8601 UTC timestamp, the System Log query's `since`. */
export function checkTimestampValue(name: string, value: string): void {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalidValue(name, value, 'an ISO 8601 UTC timestamp', `Set ${name} to a time such as 2026-01-31T12:00:00.000Z.`);
  }
}

/** A count or a time in milliseconds: a whole number written in digits, at most nine of them. */
export function checkWholeNumberValue(name: string, value: string): void {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(value)) throw invalidValue(name, value, 'a whole number written in digits', `Set ${name} to a whole number such as 3.`);
}

/** `logPollAttempts`: the System Log is queried at least once. */
export function checkPollAttemptsValue(value: string): void {
  checkWholeNumberValue('logPollAttempts', value);
  if (value === '0') throw invalidValue('logPollAttempts', value, 'at least 1', 'Set logPollAttempts to 1 or more.');
}

/** A flag the scripts read: `"true"`, `"false"`, or `""` (false). */
export function checkBooleanValue(name: string, value: string): void {
  if (!['', 'true', 'false'].includes(value)) throw invalidValue(name, value, '"true" or "false"', `Set ${name} to "true" or "false".`);
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
  } catch {
    return false;
  }
}
