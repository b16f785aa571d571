/**
 * Reads signals from an input stream, one record at a time, whatever its size: a JSON array of events (the
 * Risk Events API's body, any number of events), NDJSON (one subject a line) or CSV with a header. Memory is
 * bounded by the longest record (at most {@link MAX_RECORD_BYTES}), never by the input.
 *
 * Records come out as parsed but unchecked values with the line they start on; `validate-signal.ts` applies
 * Okta's rules.
 */
import type { Readable } from 'node:stream';
import type { InputIssue } from './signal.ts';

export const INPUT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** Longest record read: far above the largest valid event (50 subjects of 512-character messages, ~40 KB). */
export const MAX_RECORD_BYTES = 1 << 20;

/** The CSV columns, as the NDJSON field names. */
export const SIGNAL_FIELDS = ['ip', 'riskLevel', 'message', 'timestamp', 'expiresAt'] as const;

/**
 * One record: for JSON input an event (`kind: 'event'`, its index in the array), otherwise one subject
 * (`kind: 'signal'`). `issue` instead of `value` when the record could not be parsed at all.
 */
export type InputRecord =
  | { kind: 'event'; line: number; index: number; value: unknown }
  | { kind: 'signal'; line: number; value: unknown }
  | { kind: 'issue'; issue: InputIssue; fatal?: boolean };

export interface ReadSignalsOptions {
  /** Default: from the first character (`[` JSON, `{` NDJSON, anything else CSV). */
  format?: InputFormat;
  /** `--via ssf`: a CSV may have an `email` column (each row's user). Unset: such a header is refused. */
  emailColumn?: boolean;
}

/** Reads `input` as text and yields its records in order. */
export async function* readSignals(input: Readable, options: ReadSignalsOptions = {}): AsyncGenerator<InputRecord> {
  input.setEncoding('utf8');
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<string>;
  let first = '';
  // Skip a byte-order mark and leading white space to see the first character.
  for (;;) {
    const next = await chunks.next();
    if (next.done) break;
    first += next.value;
    if (/\S/.test(first.replace(/^\uFEFF/, ''))) break;
  }
  first = first.replace(/^\uFEFF/, '');
  const format = options.format ?? detectFormat(first);
  const text = prepend(first, chunks);
  if (format === 'json') yield* readJsonArray(text);
  else if (format === 'ndjson') yield* readNdjson(text);
  else yield* readCsv(text, options.emailColumn ?? false);
}

function detectFormat(start: string): InputFormat {
  const c = start.trimStart()[0];
  if (c === '[') return 'json';
  if (c === '{') return 'ndjson';
  return 'csv';
}

async function* prepend(first: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  if (first) yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** Lines of the text, numbered from 1, without their line breaks; a line over the cap comes as `null`. */
async function* lines(text: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string | null }> {
  let pending = '';
  let number = 0;
  let overlong = false;
  for await (const chunk of text) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = pending + chunk.slice(start, nl);
      pending = '';
      start = nl + 1;
      number++;
      yield { line: number, text: overlong || piece.length > MAX_RECORD_BYTES ? null : piece.replace(/\r$/, '') };
      overlong = false;
    }
    pending += chunk.slice(start);
    if (pending.length > MAX_RECORD_BYTES) {
      overlong = true;
      pending = '';
    }
  }
  if (pending || overlong) yield { line: number + 1, text: overlong ? null : pending.replace(/\r$/, '') };
}

const TOO_LONG = `is longer than ${MAX_RECORD_BYTES} characters`;

async function* readNdjson(text: AsyncIterable<string>): AsyncGenerator<InputRecord> {
  for await (const { line, text: content } of lines(text)) {
    if (content === null) {
      yield { kind: 'issue', issue: { line, field: 'line', message: TOO_LONG } };
      continue;
    }
    if (content.trim() === '') continue;
    try {
      yield { kind: 'signal', line, value: JSON.parse(content) };
    } catch (error) {
      yield { kind: 'issue', issue: { line, field: 'line', message: `is not valid JSON (${(error as Error).message})` } };
    }
  }
}

/** Splits one CSV line (RFC 4180 quoting within the line); undefined when a quote is left open. */
export function splitCsvLine(line: string): string[] | undefined {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cell += '"'), (i += 2);
      else if (c === '"') (quoted = false), i++;
      else (cell += c), i++;
    } else if (c === '"' && cell === '') (quoted = true), i++;
    else if (c === ',') cells.push(cell), (cell = ''), i++;
    else (cell += c), i++;
  }
  if (quoted) return undefined;
  cells.push(cell);
  return cells;
}

async function* readCsv(text: AsyncIterable<string>, emailColumn: boolean): AsyncGenerator<InputRecord> {
  let header: string[] | undefined;
  for await (const { line, text: content } of lines(text)) {
    if (content === null) {
      yield { kind: 'issue', issue: { line, field: 'line', message: TOO_LONG }, fatal: header === undefined };
      if (header === undefined) return;
      continue;
    }
    if (content.trim() === '') continue;
    const cells = splitCsvLine(content);
    if (!cells) {
      yield { kind: 'issue', issue: { line, field: 'line', message: 'has a quoted field that does not end on the line' }, fatal: header === undefined };
      if (header === undefined) return;
      continue;
    }
    if (header === undefined) {
      header = cells.map((c) => c.trim());
      const problems = csvHeaderIssues(header, line, emailColumn);
      if (problems.length > 0) {
        for (const issue of problems) yield { kind: 'issue', issue, fatal: true };
        return;
      }
      continue;
    }
    if (cells.length !== header.length) {
      yield { kind: 'issue', issue: { line, field: 'line', message: `has ${cells.length} fields; the header has ${header.length}` } };
      continue;
    }
    // An empty cell is an absent field, as an omitted JSON member would be.
    const value: Record<string, string> = {};
    header.forEach((name, i) => {
      if (cells[i] !== '') value[name] = cells[i]!;
    });
    yield { kind: 'signal', line, value };
  }
}

function csvHeaderIssues(header: string[], line: number, emailColumn: boolean): InputIssue[] {
  const issues: InputIssue[] = [];
  const seen = new Set<string>();
  const columns: readonly string[] = emailColumn ? [...SIGNAL_FIELDS, 'email'] : SIGNAL_FIELDS;
  for (const name of header) {
    if (name === 'email' && !emailColumn) {
      issues.push({ line, field: 'header "email"', message: 'applies to --via ssf only (a Security Event Token is about a user; the Risk Events API reports IPs); drop the column, or send with --via ssf' });
    } else if (!columns.includes(name)) {
      issues.push({ line, field: `header ${JSON.stringify(name)}`, message: `is not a signal field; the columns are ${columns.join(', ')}` });
    } else if (seen.has(name)) {
      issues.push({ line, field: `header ${JSON.stringify(name)}`, message: 'appears twice' });
    }
    seen.add(name);
  }
  for (const required of ['ip', 'riskLevel']) {
    if (!seen.has(required)) issues.push({ line, field: 'header', message: `has no ${required} column` });
  }
  return issues;
}

/**
 * The elements of a top-level JSON array, one at a time: a small scanner tracks strings and nesting to find
 * where each element ends, and parses that element alone.
 */
async function* readJsonArray(text: AsyncIterable<string>): AsyncGenerator<InputRecord> {
  let line = 1;
  type State = 'before-array' | 'before-element' | 'in-element' | 'after-element' | 'done';
  let state = 'before-array' as State;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let elementLine = 1;
  let index = 0;
  let overlong = false;
  const syntax = (message: string): InputRecord => ({ kind: 'issue', issue: { line, field: 'the array', message }, fatal: true });

  for await (const chunk of text) {
    let segmentStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (state === 'in-element') {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
          else if (c === '\n') line++;
          continue;
        }
        if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') {
          if (depth === 0) {
            // The array's own closing bracket after a scalar element.
            element += chunk.slice(segmentStart, i);
            yield parseElement(element, elementLine, index++, overlong);
            state = 'done';
            segmentStart = i + 1;
            continue;
          }
          depth--;
          if (depth === 0) {
            element += chunk.slice(segmentStart, i + 1);
            yield parseElement(element, elementLine, index++, overlong);
            element = '';
            state = 'after-element';
          }
        } else if (c === ',' && depth === 0) {
          element += chunk.slice(segmentStart, i);
          yield parseElement(element, elementLine, index++, overlong);
          element = '';
          state = 'before-element';
        } else if (c === '\n') line++;
        continue;
      }
      if (c === '\n') {
        line++;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') continue;
      if (state === 'before-array') {
        if (c !== '[') return void (yield syntax('must be a JSON array of risk events'));
        state = 'before-element';
      } else if (state === 'before-element') {
        if (c === ']' && index === 0) state = 'done';
        else if (c === ']' || c === ',') return void (yield syntax(`has an unexpected "${c}"`));
        else {
          state = 'in-element';
          overlong = false;
          elementLine = line;
          segmentStart = i;
          depth = 0;
          if (c === '{' || c === '[') depth = 1;
          else if (c === '"') inString = true;
        }
      } else if (state === 'after-element') {
        if (c === ',') state = 'before-element';
        else if (c === ']') state = 'done';
        else return void (yield syntax(`has an unexpected "${c}" after an event; events are separated by commas`));
      } else if (state === 'done') {
        return void (yield syntax('has text after its closing bracket'));
      }
    }
    if (state === 'in-element') {
      element += chunk.slice(segmentStart);
      if (element.length > MAX_RECORD_BYTES) {
        overlong = true;
        element = '';
      }
    }
  }
  if (state !== 'done') yield syntax('ends before its closing bracket');
}

function parseElement(text: string, line: number, index: number, overlong: boolean): InputRecord {
  if (overlong) return { kind: 'issue', issue: { line, field: `[${index}]`, message: TOO_LONG } };
  try {
    return { kind: 'event', line, index, value: JSON.parse(text) };
  } catch (error) {
    return { kind: 'issue', issue: { line, field: `[${index}]`, message: `is not valid JSON (${(error as Error).message})` } };
  }
}
