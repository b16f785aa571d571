/**
 * The first pass over the input: validate every record and write the valid signals to one spool file per
 * risk level (NDJSON, mode 0600, in a 0700 folder under the git-ignored work dir). Memory stays flat: records
 * stream through, and only counts and the first issues are kept.
 *
 * Why spool: nothing may be sent before the whole input is known to be valid, stdin cannot be read twice,
 * and HIGH signals must go first wherever they are in the input. The spool files are read back, level by
 * level, by the packing pass.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { InputRecord } from './read-signals.ts';
import { RISK_LEVELS, type InputIssue, type RiskLevel, type Signal } from './signal.ts';
import { validateRecord, type ValidateOptions } from './validate-signal.ts';

/** Issues kept for the report; the rest are only counted. */
export const MAX_LISTED_ISSUES = 100;
const FLUSH_BYTES = 64 * 1024;

export interface SpoolResult {
  /** Valid signals by level. */
  counts: Record<RiskLevel, number>;
  total: number;
  /** The first {@link MAX_LISTED_ISSUES} issues, in input order. */
  issues: InputIssue[];
  issueCount: number;
  /** Records (events or lines) that had an issue; with `skipInvalid`, what was skipped. */
  invalidRecords: number;
  /** True when the input could not be read to its end (a broken array or CSV header). */
  truncated: boolean;
  files: Record<RiskLevel, string>;
  /** With `collectEmails`: the distinct emails of the valid signals, lowercased, in first-seen order. */
  emails?: string[];
  /** With `collectEmails`: the signals named more distinct emails than it keeps. */
  emailsOverflow?: boolean;
}

export interface SpoolOptions {
  /** A folder that does not exist yet; created 0700. */
  dir: string;
  /**
   * A transport's own rules on top of Okta's (`--via ssf`: what a SET cannot carry): the problem of one
   * signal's field, or undefined. A record with one is invalid as a whole, as with Okta's rules.
   */
  check?: (signal: Signal) => { field: 'timestamp' | 'expiresAt'; message: string } | undefined;
  /** `--via ssf`: whether a line may, or must, name its user (`email`). */
  email?: ValidateOptions['email'];
  /**
   * Collects the distinct emails the valid signals name, up to this many (the embedded emulator makes them
   * users of its org); `SpoolResult.emails` holds them, `emailsOverflow` says there were more.
   */
  collectEmails?: number;
}

/** Validates and spools `records`; the spool holds only valid signals. */
export async function spoolSignals(records: AsyncIterable<InputRecord>, options: SpoolOptions): Promise<SpoolResult> {
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const files = Object.fromEntries(RISK_LEVELS.map((l) => [l, join(options.dir, `${l}.ndjson`)])) as Record<RiskLevel, string>;
  const streams = Object.fromEntries(RISK_LEVELS.map((l) => [l, createWriteStream(files[l], { flags: 'wx', mode: 0o600 })])) as Record<RiskLevel, WriteStream>;
  const buffers: Record<RiskLevel, string> = { HIGH: '', MEDIUM: '', LOW: '' };
  const result: SpoolResult = { counts: { HIGH: 0, MEDIUM: 0, LOW: 0 }, total: 0, issues: [], issueCount: 0, invalidRecords: 0, truncated: false, files };
  const flush = async (level: RiskLevel): Promise<void> => {
    const text = buffers[level];
    buffers[level] = '';
    if (text && !streams[level].write(text)) await once(streams[level], 'drain');
  };
  const emails = options.collectEmails === undefined ? undefined : new Set<string>();
  const note = (issue: InputIssue): void => {
    result.issueCount++;
    if (result.issues.length < MAX_LISTED_ISSUES) result.issues.push(issue);
  };
  try {
    for await (const record of records) {
      if (record.kind === 'issue') {
        note(record.issue);
        result.invalidRecords++;
        // The reader ends after a fatal issue (it cannot find the next record); it may name several first.
        if (record.fatal) result.truncated = true;
        continue;
      }
      const checked = validateRecord(record, { ...(options.email && { email: options.email }) });
      const issues = 'issues' in checked ? checked.issues : transportIssues(record, checked.signals, options.check);
      if (issues.length > 0) {
        issues.forEach(note);
        result.invalidRecords++;
        continue;
      }
      if (!('signals' in checked)) continue;
      for (const signal of checked.signals) {
        if (emails && signal.email !== undefined) {
          const login = signal.email.toLowerCase();
          if (!emails.has(login)) {
            if (emails.size < options.collectEmails!) emails.add(login);
            else result.emailsOverflow = true;
          }
        }
        buffers[signal.riskLevel] += `${JSON.stringify(signal)}\n`;
        result.counts[signal.riskLevel]++;
        result.total++;
        if (buffers[signal.riskLevel].length >= FLUSH_BYTES) await flush(signal.riskLevel);
      }
    }
    for (const level of RISK_LEVELS) await flush(level);
    if (emails) result.emails = [...emails];
  } finally {
    await Promise.all(RISK_LEVELS.map((l) => new Promise<void>((resolve, reject) => streams[l].end((error?: Error | null) => (error ? reject(error) : resolve())))));
  }
  return result;
}

/** The transport's problems with a record's signals, once per field (the signals of an event share theirs). */
function transportIssues(record: Exclude<InputRecord, { kind: 'issue' }>, signals: Signal[], check: SpoolOptions['check']): InputIssue[] {
  if (!check) return [];
  const issues = new Map<string, InputIssue>();
  for (const signal of signals) {
    const problem = check(signal);
    if (!problem) continue;
    const field = record.kind === 'event' ? `[${record.index}].${problem.field}` : problem.field;
    if (!issues.has(field)) issues.set(field, { line: record.line, field, message: problem.message });
  }
  return [...issues.values()];
}

/** Reads a spool file back, one signal at a time. */
export async function* readSpool(file: string): AsyncGenerator<Signal> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line) yield JSON.parse(line) as Signal;
}
