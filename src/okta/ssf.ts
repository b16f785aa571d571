/**
 * Okta's SSF receiver rules that both the emulator and the harness need: the six event types Okta accepts in a
 * Security Event Token, their required claims and allowed values, the Security Events Providers API's limits,
 * and the claim-validation texts Okta answers with. Neutral: it imports neither side.
 *
 * Source: `shared/reference/ssf-dpop.md` §A (Okta's OpenAPI 2026.06.3 `SecurityEventTokenRequestJwt*`,
 * the configure-ssf-receiver guide, and what the community saw on real orgs).
 */
import { SSF_PROVIDER_ISSUER_MAX, SSF_PROVIDER_NAME_MAX, SSF_PROVIDER_TYPE_MAX, SSF_PROVIDER_URL_MAX } from './limits.ts';

/** `Content-Type` of a SET push (RFC 8417 §2.3). */
export const SET_MEDIA_TYPE = 'application/secevent+jwt';
/** The JWS `typ` header of a SET. */
export const SET_TYP = 'secevent+jwt';
/** The path Okta receives SETs on (no auth: the signature is the authentication). */
export const SET_PATH = '/security/api/v1/security-events';
export const PROVIDERS_PATH = '/api/v1/security-events-providers';

export const SSF_READ_SCOPE = 'okta.securityEventsProviders.read';
export const SSF_MANAGE_SCOPE = 'okta.securityEventsProviders.manage';

/** `SecurityEventsProviderRequest` limits (held in `limits.ts` with the others). */
export const SSF_LIMITS = {
  name: SSF_PROVIDER_NAME_MAX,
  type: SSF_PROVIDER_TYPE_MAX,
  issuer: SSF_PROVIDER_ISSUER_MAX,
  url: SSF_PROVIDER_URL_MAX,
} as const;

/**
 * The SET signing algorithms the emulator accepts: only RS256, which Okta's guide and schema examples use.
 * Okta does not document any other (unknown 7); the stricter reading is taken.
 */
export const SET_ALGORITHMS = ['RS256'] as const;

/** RFC 8935 §2.4 `err` values Okta documents (`SecurityEventTokenError.err`). */
export type SetErrorCode = 'authentication_failed' | 'invalid_audience' | 'invalid_issuer' | 'invalid_key' | 'invalid_request';

export const RISK_LEVELS = ['low', 'medium', 'high', 'secure', 'none'] as const;
export const COMPLIANCE_STATUSES = ['compliant', 'not-compliant'] as const;
export const INITIATING_ENTITIES = ['admin', 'user', 'policy', 'system'] as const;

/** A claim of an event: whether it is required, and its allowed values (strings when `values` is absent). */
export interface ClaimRule {
  required: boolean;
  values?: readonly string[];
  /** The name Okta uses for it in error texts (camelCase; Okta's own for the risk levels). */
  display: string;
}

export interface EventTypeRule {
  uri: string;
  /** Short name for flags and reports, e.g. `user-risk-change`. */
  name: string;
  /** Okta's internal event name in error texts, e.g. `mediationUserRiskChangeEvent`. */
  display: string;
  claims: Record<string, ClaimRule>;
}

const optionalString = (display: string): ClaimRule => ({ required: false, display });
const requiredString = (display: string): ClaimRule => ({ required: true, display });

/**
 * The six event types of `SecurityEventTokenRequestJwtEvents`, with their own claims. Every event also takes
 * `event_timestamp` and `subject` (required) and `initiating_entity`, `reason_admin`, `reason_user` (optional).
 *
 * The display names: `mediationUserRiskChangeEvent`/`currentRiskLevel`/`previousRiskLevel` and
 * `mediationDeviceComplianceChangeEvent`/`previousStatus` are what Okta answers with; the others follow the
 * same pattern (inference).
 */
export const EVENT_TYPES: readonly EventTypeRule[] = Object.freeze<EventTypeRule[]>([
  {
    uri: 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change',
    name: 'user-risk-change',
    display: 'mediationUserRiskChangeEvent',
    claims: {
      current_level: { required: true, values: RISK_LEVELS, display: 'currentRiskLevel' },
      previous_level: { required: true, values: RISK_LEVELS, display: 'previousRiskLevel' },
    },
  },
  {
    uri: 'https://schemas.okta.com/secevent/okta/event-type/device-risk-change',
    name: 'device-risk-change',
    display: 'mediationDeviceRiskChangeEvent',
    claims: {
      current_level: { required: true, values: RISK_LEVELS, display: 'currentRiskLevel' },
      previous_level: { required: true, values: RISK_LEVELS, display: 'previousRiskLevel' },
    },
  },
  {
    uri: 'https://schemas.okta.com/secevent/okta/event-type/ip-change',
    name: 'ip-change',
    display: 'mediationIpChangeEvent',
    claims: { current_ip_address: requiredString('currentIpAddress'), previous_ip_address: requiredString('previousIpAddress') },
  },
  {
    uri: 'https://schemas.openid.net/secevent/caep/event-type/device-compliance-change',
    name: 'device-compliance-change',
    display: 'mediationDeviceComplianceChangeEvent',
    claims: {
      current_status: { required: true, values: COMPLIANCE_STATUSES, display: 'currentStatus' },
      previous_status: { required: true, values: COMPLIANCE_STATUSES, display: 'previousStatus' },
    },
  },
  {
    uri: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
    name: 'session-revoked',
    display: 'mediationSessionRevokedEvent',
    claims: {
      current_ip: optionalString('currentIp'),
      current_user_agent: optionalString('currentUserAgent'),
      last_known_ip: optionalString('lastKnownIp'),
      last_known_user_agent: optionalString('lastKnownUserAgent'),
    },
  },
  {
    uri: 'https://schemas.openid.net/secevent/risc/event-type/identifier-changed',
    name: 'identifier-changed',
    display: 'mediationIdentifierChangedEvent',
    claims: { 'new-value': optionalString('newValue') },
  },
]);

const BY_URI = new Map(EVENT_TYPES.map((t) => [t.uri, t]));

export function eventTypeRule(uri: string): EventTypeRule | undefined {
  return BY_URI.get(uri);
}

/** Okta's texts for a failed claim (observed on real orgs). */
export const BLANK = 'The field cannot be left blank';
export const NOT_ALLOWED = 'Not one of the allowed values';
/** Texts the emulator chose where Okta's are unknown (listed in the README). */
export const NOT_A_STRING = 'The field must be a string';
export const NOT_AN_INTEGER = 'The field must be an integer (seconds since the epoch)';
export const NOT_AN_OBJECT = 'The field must be an object';
export const UNKNOWN_FIELD = 'The field is not recognized';
export const CLAIM_FAILURE_PREFIX = 'Failed claim validation in security event token. ';

/** One failed claim: its camelCase path, as Okta writes it, and what is wrong. */
export interface ClaimProblem {
  path: string;
  message: string;
}

const EVENT_COMMON = ['event_timestamp', 'subject', 'initiating_entity', 'reason_admin', 'reason_user'];
const SUBJECT_MEMBERS = ['user', 'device'];
const IDENTIFIER_FORMATS: Record<string, string> = { email: 'email', opaque: 'id' };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function camel(name: string): string {
  return name.replace(/[_-]([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function checkReason(value: unknown, path: string, problems: ClaimProblem[]): void {
  if (value === undefined) return;
  if (!isObject(value)) return void problems.push({ path, message: NOT_AN_OBJECT });
  if (value.en === undefined || value.en === '') problems.push({ path: `${path}.en`, message: BLANK });
  else if (typeof value.en !== 'string') problems.push({ path: `${path}.en`, message: NOT_A_STRING });
}

/** A subject identifier: `{format: "email", email}` or `{format: "opaque", id}`, nothing else. */
function checkIdentifier(value: unknown, path: string, problems: ClaimProblem[]): void {
  if (!isObject(value)) return void problems.push({ path, message: NOT_AN_OBJECT });
  const format = value.format;
  if (format === undefined || format === '') return void problems.push({ path: `${path}.format`, message: BLANK });
  const member = typeof format === 'string' ? IDENTIFIER_FORMATS[format] : undefined;
  if (!member) return void problems.push({ path: `${path}.format`, message: NOT_ALLOWED });
  const id = value[member];
  if (id === undefined || id === '') problems.push({ path: `${path}.${member}`, message: BLANK });
  else if (typeof id !== 'string') problems.push({ path: `${path}.${member}`, message: NOT_A_STRING });
  for (const key of Object.keys(value)) {
    if (key !== 'format' && key !== member) problems.push({ path: `${path}.${camel(key)}`, message: UNKNOWN_FIELD });
  }
}

function checkSubject(value: unknown, path: string, problems: ClaimProblem[]): void {
  if (value === undefined) return void problems.push({ path, message: BLANK });
  if (!isObject(value)) return void problems.push({ path, message: NOT_AN_OBJECT });
  const present = SUBJECT_MEMBERS.filter((m) => value[m] !== undefined);
  if (present.length === 0) problems.push({ path, message: BLANK });
  for (const member of present) checkIdentifier(value[member], `${path}.${member}`, problems);
  for (const key of Object.keys(value)) {
    if (!SUBJECT_MEMBERS.includes(key)) problems.push({ path: `${path}.${camel(key)}`, message: UNKNOWN_FIELD });
  }
}

/**
 * Every failed claim of one event, in Okta's `events.<internal name>.<camelCase claim>` paths. Unknown claims
 * are refused (the emulator does not drop what it does not understand).
 */
export function eventProblems(rule: EventTypeRule, event: unknown): ClaimProblem[] {
  const base = `events.${rule.display}`;
  if (!isObject(event)) return [{ path: base, message: NOT_AN_OBJECT }];
  const problems: ClaimProblem[] = [];
  const ts = event.event_timestamp;
  if (ts === undefined) problems.push({ path: `${base}.eventTimestamp`, message: BLANK });
  else if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) problems.push({ path: `${base}.eventTimestamp`, message: NOT_AN_INTEGER });
  checkSubject(event.subject, `${base}.subject`, problems);
  const entity = event.initiating_entity;
  if (entity !== undefined && (typeof entity !== 'string' || !(INITIATING_ENTITIES as readonly string[]).includes(entity))) {
    problems.push({ path: `${base}.initiatingEntity`, message: NOT_ALLOWED });
  }
  checkReason(event.reason_admin, `${base}.reasonAdmin`, problems);
  checkReason(event.reason_user, `${base}.reasonUser`, problems);
  for (const [claim, claimRule] of Object.entries(rule.claims)) {
    const value = event[claim];
    const path = `${base}.${claimRule.display}`;
    if (value === undefined || value === '') {
      if (claimRule.required) problems.push({ path, message: BLANK });
    } else if (typeof value !== 'string') {
      problems.push({ path, message: claimRule.values ? NOT_ALLOWED : NOT_A_STRING });
    } else if (claimRule.values && !claimRule.values.includes(value)) {
      problems.push({ path, message: NOT_ALLOWED });
    }
  }
  for (const key of Object.keys(event)) {
    if (!EVENT_COMMON.includes(key) && !(key in rule.claims)) problems.push({ path: `${base}.${camel(key)}`, message: UNKNOWN_FIELD });
  }
  return problems;
}

/** Okta's `invalid_request` description for failed claims. */
export function claimFailureText(problems: ClaimProblem[]): string {
  return CLAIM_FAILURE_PREFIX + problems.map((p) => `'${p.path}': ${p.message}`).join(', ');
}

/** The user a SET's event names by email (the only subject Okta matches to a user), or undefined. */
export function subjectEmail(event: Record<string, unknown>): string | undefined {
  const subject = event.subject;
  if (!isObject(subject) || !isObject(subject.user)) return undefined;
  return subject.user.format === 'email' && typeof subject.user.email === 'string' ? subject.user.email : undefined;
}
