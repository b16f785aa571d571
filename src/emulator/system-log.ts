/**
 * The System Log API: `GET /api/v1/logs` (operationId `listLogEvents`, scope `okta.logs.read`).
 *
 * Two kinds of request, as Okta documents them:
 * - polling (no `until`, ascending): filters on persistence time, and always carries a `next` link, even on an
 *   empty page, so a poller can follow it forever;
 * - bounded (`until` given, or descending): filters on `published` within [since, until), comes back sorted
 *   by `published`, and its last page has no `next` link.
 *
 * A page holds at most `limit` events and at most `SYSTEM_LOG_PAGE_MAX_BYTES` of JSON (always one event at
 * least); a page cut short by size has a `next` link that continues right after its last event.
 *
 * The `after` cursor is `<persistedAt>_<seq>` (polling, the shape of Okta's own example) or
 * `<published>_<seq>_<since>` (bounded: descending pages need the lower bound, which the next link drops
 * because `since` and `after` are mutually exclusive).
 */
import { SYSTEM_LOG_LIMIT_DEFAULT, SYSTEM_LOG_LIMIT_MAX, SYSTEM_LOG_PAGE_MAX_BYTES } from '../okta/limits.ts';
import { authenticate } from './auth.ts';
import { OktaApiError } from './errors.ts';
import { headerUriText, type EmulatorRequest, type Reply, type Route } from './http.ts';
import type { Org } from './org.ts';
import { matches, parseFilter, type FilterNode } from './scim-filter.ts';
import type { LogEventRecord } from './store.ts';

const LOGS_PATH = '/api/v1/logs';
const DAY_MS = 24 * 60 * 60 * 1000;
/** `since` defaults to 7 days before `until`. */
const DEFAULT_WINDOW_MS = 7 * DAY_MS;
/** An explicit `since` may reach back 180 days. */
const MAX_SINCE_AGE_MS = 180 * DAY_MS;
/** Okta returns no event older than 90 days (data retention), whatever the query asks. */
const RETENTION_MS = 90 * DAY_MS;
const DEFAULT_LIMIT = SYSTEM_LOG_LIMIT_DEFAULT;
const MAX_LIMIT = SYSTEM_LOG_LIMIT_MAX;
const MAX_KEYWORDS = 10;
const MAX_KEYWORD_LENGTH = 40;

const BAD_DATE = [
  'The date format in your query is not recognized. Please enter dates using ISO8601 string format.',
  'must be a valid date-time or empty.',
];
const KEYWORD_TOO_LONG =
  `Freeform search cannot contain items longer than ${MAX_KEYWORD_LENGTH} characters. ` +
  'Please shorten the items in your search or use an advanced filter to query by specific fields.';
const TOO_MANY_KEYWORDS =
  `Freeform search cannot contain more than ${MAX_KEYWORDS} items. ` +
  'Please remove items from your search or use an advanced filter to query by specific fields.';
const SINCE_TOO_OLD = 'Invalid parameter: The since parameter is over 180 days prior to the current day.';

/** A place in the log: the sort key (persistence or publication time, ms) and the sequence number. */
interface Position {
  ms: number;
  seq: number;
}

interface LogQuery {
  polling: boolean;
  descending: boolean;
  limit: number;
  /** Lower bound: persistence time (polling) or `published` (bounded), inclusive. */
  sinceMs: number;
  /** Upper bound on `published` for bounded queries, exclusive. */
  untilMs: number;
  after: Position | undefined;
  filter: FilterNode | undefined;
  /** Lower-cased `q` keywords; all must match. */
  keywords: string[];
  /** What the next link carries besides `after`. */
  carried: URLSearchParams;
}

interface Problem {
  field: string;
  message: string;
}

/**
 * `400 E0000001` in the System Log's documented shape: the summary joins `'<field>': <message>` with `. `
 * (hence Okta's `format.. 'until'`), each cause is `<field>: <message>`.
 */
function queryValidationFailed(problems: Problem[]): OktaApiError {
  return new OktaApiError('E0000001', {
    detail: problems.map((p) => `'${p.field}': ${p.message}`).join('. '),
    causes: problems.map((p) => `${p.field}: ${p.message}`),
  });
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/** Milliseconds for an RFC 3339 timestamp (ISO 8601's internet profile), or undefined when it is not one. */
function parseTimestamp(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [fraction = '', zulu, sign, offsetHours = '0', offsetMinutes = '0'] = m.slice(7) as Array<string | undefined>;
  // Date.UTC would roll 2026-02-30 over into March; a calendar date that does not exist is rejected instead.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  if (!zulu && (Number(offsetHours) > 23 || Number(offsetMinutes) > 59)) return undefined;
  const offset = zulu ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset;
}

/** The parameter's one value; '' counts as absent ("a valid date-time or empty"; Okta's own links carry `q=`). */
function single(req: EmulatorRequest, name: string, problems: Problem[]): string | undefined {
  const values = req.query.getAll(name);
  if (values.length > 1) {
    problems.push({ field: name, message: 'must be given at most once.' });
    return undefined;
  }
  return values[0] === '' ? undefined : values[0];
}

function parseCursor(text: string, polling: boolean): { position: Position; sinceMs?: number } | undefined {
  const m = (polling ? /^(\d{1,15})_(\d{1,15})$/ : /^(\d{1,15})_(\d{1,15})_(\d{1,15})$/).exec(text);
  if (!m) return undefined;
  const position = { ms: Number(m[1]), seq: Number(m[2]) };
  return polling ? { position } : { position, sinceMs: Number(m[3]) };
}

/** Validates every parameter before anything is read; unknown parameters are ignored, as Okta does. */
function parseQuery(req: EmulatorRequest, org: Org): LogQuery {
  const problems: Problem[] = [];
  const raw = {
    since: single(req, 'since', problems),
    until: single(req, 'until', problems),
    after: single(req, 'after', problems),
    filter: single(req, 'filter', problems),
    q: single(req, 'q', problems),
    limit: single(req, 'limit', problems),
    sortOrder: single(req, 'sortOrder', problems),
  };

  const dates: { since?: number; until?: number } = {};
  for (const field of ['since', 'until'] as const) {
    const text = raw[field];
    if (text === undefined) continue;
    const ms = parseTimestamp(text);
    if (ms === undefined) problems.push(...BAD_DATE.map((message) => ({ field, message })));
    else dates[field] = ms;
  }

  let limit = DEFAULT_LIMIT;
  if (raw.limit !== undefined) {
    if (/^\d+$/.test(raw.limit) && Number(raw.limit) <= MAX_LIMIT) limit = Number(raw.limit);
    else problems.push({ field: 'limit', message: `must be an integer between 0 and ${MAX_LIMIT}.` });
  }

  const sortOrder = raw.sortOrder ?? 'ASCENDING';
  if (sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') {
    problems.push({ field: 'sortOrder', message: 'must be ASCENDING or DESCENDING.' });
  }
  const descending = sortOrder === 'DESCENDING';
  const polling = raw.until === undefined && !descending;

  let cursor: ReturnType<typeof parseCursor>;
  if (raw.after !== undefined) {
    if (raw.since !== undefined) {
      problems.push({ field: 'after', message: 'cannot be used together with since. Follow the next link exactly as Okta returned it.' });
    } else {
      cursor = parseCursor(raw.after, polling);
      if (!cursor) problems.push({ field: 'after', message: 'is not a cursor from a next link of this query. Follow the next link exactly as Okta returned it.' });
    }
  }

  if (dates.since !== undefined && dates.until !== undefined && dates.since > dates.until) {
    problems.push({ field: 'since', message: 'must not be later than until.' });
  }

  const keywords = (raw.q ?? '').split(/\s+/).filter(Boolean);
  if (keywords.some((k) => [...k].length > MAX_KEYWORD_LENGTH)) problems.push({ field: 'q', message: KEYWORD_TOO_LONG });
  if (keywords.length > MAX_KEYWORDS) problems.push({ field: 'q', message: TOO_MANY_KEYWORDS });

  if (problems.length > 0) throw queryValidationFailed(problems);

  const now = org.clock.now();
  if (dates.since !== undefined && dates.since < now - MAX_SINCE_AGE_MS) {
    throw new OktaApiError('E0000053', { summary: SINCE_TOO_OLD });
  }
  const filter = raw.filter === undefined ? undefined : parseFilter(raw.filter);

  const untilMs = dates.until ?? now;
  const carried = new URLSearchParams();
  for (const name of ['limit', 'sortOrder', 'filter', 'q', 'until'] as const) {
    const value = raw[name];
    if (value !== undefined) carried.set(name, value);
  }
  return {
    polling,
    descending,
    limit,
    sinceMs: cursor?.sinceMs ?? dates.since ?? untilMs - DEFAULT_WINDOW_MS,
    untilMs,
    after: cursor?.position,
    filter,
    keywords: keywords.map((k) => k.toLowerCase()),
    carried,
  };
}

/** Every word a keyword can match: each value, its space-separated words and their hyphen-separated parts. */
function searchTerms(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => searchTerms(v, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => searchTerms(v, into));
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const text = String(value).toLowerCase();
    into.add(text);
    for (const word of text.split(/\s+/)) {
      into.add(word);
      for (const part of word.split('-')) into.add(part);
    }
  }
  return into;
}

function compareKeys(a: Position, b: Position): number {
  return a.ms - b.ms || a.seq - b.seq;
}

/** The longest prefix of `rows` whose JSON array fits `SYSTEM_LOG_PAGE_MAX_BYTES`, and never less than one row. */
function withinPageBytes<T extends { record: LogEventRecord }>(rows: T[]): T[] {
  let bytes = 2; // the brackets
  for (let i = 0; i < rows.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(rows[i]!.record.event)) + (i > 0 ? 1 : 0);
    if (bytes > SYSTEM_LOG_PAGE_MAX_BYTES && i > 0) return rows.slice(0, i);
  }
  return rows;
}

/** The page for `query`, and the position its next link continues from (undefined: no next link). */
function selectPage(org: Org, query: LogQuery): { events: Array<LogEventRecord['event']>; next: string | undefined } {
  const now = org.clock.now();
  const rows: Array<{ record: LogEventRecord; key: Position }> = [];
  for (const record of org.store.logs) {
    const published = Date.parse(record.event.published);
    // Not yet persisted, or past retention: Okta would not have it to return.
    if (record.persistedAt > now || !(published >= now - RETENTION_MS)) continue;
    const key = { ms: query.polling ? record.persistedAt : published, seq: record.seq };
    if (!query.polling && (published < query.sinceMs || published >= query.untilMs)) continue;
    rows.push({ record, key });
  }

  // The position before the first event of this page; seq 0 precedes every stored event (seqs start at 1).
  const start = query.after ?? { ms: query.descending ? query.untilMs : query.sinceMs, seq: 0 };
  const direction = query.descending ? -1 : 1;
  const selected = rows
    .filter(({ key }) => direction * compareKeys(key, start) > 0)
    .filter(({ record }) => !query.filter || matches(query.filter, record.event))
    .filter(({ record }) => {
      if (query.keywords.length === 0) return true;
      const terms = searchTerms(record.event, new Set());
      return query.keywords.every((k) => terms.has(k));
    })
    .sort((a, b) => direction * compareKeys(a.key, b.key));

  const page = withinPageBytes(selected.slice(0, query.limit));
  const last = page.at(-1)?.key ?? start;
  let next: string | undefined;
  if (query.polling) next = `${last.ms}_${last.seq}`;
  else if (selected.length > page.length) next = `${last.ms}_${last.seq}_${query.sinceMs}`;
  return { events: page.map(({ record }) => record.event), next };
}

async function listLogEvents(req: EmulatorRequest, org: Org): Promise<Reply> {
  await authenticate(req, org, 'okta.logs.read');
  const query = parseQuery(req, org);
  const { events, next } = selectPage(org, query);
  const base = `${org.orgUrl}${LOGS_PATH}`;
  const links = [`<${base}${req.rawQuery ? `?${headerUriText(req.rawQuery)}` : ''}>; rel="self"`];
  if (next !== undefined) {
    const params = new URLSearchParams(query.carried);
    params.set('after', next);
    links.push(`<${base}?${params.toString()}>; rel="next"`);
  }
  return { status: 200, body: events, headers: { link: links } };
}

export const systemLogRoutes: Route[] = [{ method: 'GET', path: LOGS_PATH, handler: listLogEvents }];
