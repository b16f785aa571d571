/**
 * Okta's SCIM filter expressions as the System Log's `filter` parameter takes them: a lazy tokenizer, a
 * recursive-descent parser producing an AST, a check of every attribute against the `LogEvent` schema, and an
 * evaluator.
 *
 * Grammar (precedence `not` > `and` > `or`; keywords and operators are case-insensitive, attribute paths are not):
 *
 *     filter     := or END
 *     or         := and ("or" and)*
 *     and        := unary ("and" unary)*
 *     unary      := "not" "(" or ")" | "(" or ")" | comparison
 *     comparison := PATH "pr" | PATH OP VALUE        OP: eq ne gt ge lt le sw co ew
 *     VALUE      := "string" (JSON escapes) | true | false | null | number
 *
 * Error texts follow Okta's documented one, `Invalid filter '<filter>': <reason> at position <n>`, with `n` the
 * zero-based offset of the offending token in the filter text.
 */
import { OktaApiError } from './errors.ts';

export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sw' | 'co' | 'ew';
export type FilterValue = string | number | boolean | null;

/** A parsed filter. `position` is where the attribute path starts in the filter text. */
export type FilterNode =
  | { kind: 'compare'; attribute: string; path: string[]; operator: ComparisonOperator; value: FilterValue; position: number }
  | { kind: 'present'; attribute: string; path: string[]; position: number }
  | { kind: 'and'; left: FilterNode; right: FilterNode }
  | { kind: 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode };

/** A filter Okta refuses: `E0000053` (syntax, unknown field) or `E0000031` (unsupported operator and field). */
export class ScimFilterError extends OktaApiError {
  constructor(code: 'E0000053' | 'E0000031', summary: string) {
    super(code, { summary });
    this.name = 'ScimFilterError';
  }
}

const OPERATORS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sw', 'co', 'ew', 'pr']);
// Okta's documented text lists fewer operators than it accepts; it is reproduced as documented.
const EXPECTED_OPERATORS = 'eq,co,sw,pr,gt,ge,lt,le';
// Recursion guard: the query string allows thousands of parentheses, the stack does not.
const MAX_DEPTH = 50;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

type Token =
  | { type: '(' | ')'; text: string; position: number }
  | { type: 'word'; text: string; position: number }
  | { type: 'string'; text: string; value: string; position: number };

/** Reads one token at a time, so an error further on never hides the first one, as in a left-to-right parser. */
class Lexer {
  #pos = 0;
  #peeked: Token | null | undefined;

  constructor(
    readonly source: string,
    readonly fail: (reason: string) => never,
  ) {}

  /** Where the next token starts (or the end of the text). */
  get position(): number {
    if (this.#peeked) return this.#peeked.position;
    this.#skipSpaces();
    return this.#pos;
  }

  peek(): Token | null {
    if (this.#peeked === undefined) this.#peeked = this.#read();
    return this.#peeked;
  }

  next(): Token | null {
    const token = this.peek();
    this.#peeked = undefined;
    return token;
  }

  #skipSpaces(): void {
    // Only the space separates tokens, as in Okta's SCIM parser (`+` in a URL decodes to it).
    while (this.source[this.#pos] === ' ') this.#pos++;
  }

  #read(): Token | null {
    this.#skipSpaces();
    const start = this.#pos;
    const c = this.source[start];
    if (c === undefined) return null;
    if (c === '(' || c === ')') {
      this.#pos++;
      return { type: c, text: c, position: start };
    }
    if (c === '"') return this.#readString(start);
    while (this.#pos < this.source.length && !' ()"'.includes(this.source[this.#pos]!)) this.#pos++;
    return { type: 'word', text: this.source.slice(start, this.#pos), position: start };
  }

  #readString(start: number): Token {
    let value = '';
    let i = start + 1;
    while (i < this.source.length) {
      const c = this.source[i]!;
      if (c === '"') {
        this.#pos = i + 1;
        return { type: 'string', text: this.source.slice(start, this.#pos), value, position: start };
      }
      if (c !== '\\') {
        value += c;
        i++;
        continue;
      }
      const e = this.source[i + 1];
      if (e === undefined) break;
      if (e === 'u') {
        const hex = this.source.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail(`Unrecognized escape sequence '\\u${hex}' in a string value at position ${i}`);
        value += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e in ESCAPES) {
        value += ESCAPES[e];
        i += 2;
      } else {
        this.fail(`Unrecognized escape sequence '\\${e}' in a string value at position ${i}`);
      }
    }
    return this.fail(`End of input in a string value that began at position ${start}`);
  }
}

/** Recursive descent over the lexer; every method consumes exactly the text of its production. */
class Parser {
  readonly #lexer: Lexer;
  #depth = 0;

  constructor(readonly source: string) {
    this.#lexer = new Lexer(source, (reason) => this.fail(reason));
  }

  fail(reason: string): never {
    throw new ScimFilterError('E0000053', `Invalid filter '${this.source}': ${reason}`);
  }

  parse(): FilterNode {
    const node = this.#or();
    const rest = this.#lexer.peek();
    if (rest) this.#unexpected(rest);
    return node;
  }

  #isKeyword(token: Token | null, keyword: 'and' | 'or' | 'not'): boolean {
    return token?.type === 'word' && token.text.toLowerCase() === keyword;
  }

  #unexpected(token: Token): never {
    if (token.type === ')' && this.#depth === 0) this.fail(`No opening parenthesis matching closing parenthesis at position ${token.position}`);
    return this.fail(`Unexpected characters '${token.text}' at position ${token.position}`);
  }

  #or(): FilterNode {
    let left = this.#and();
    while (this.#isKeyword(this.#lexer.peek(), 'or')) {
      this.#lexer.next();
      left = { kind: 'or', left, right: this.#and() };
    }
    return left;
  }

  #and(): FilterNode {
    let left = this.#unary();
    while (this.#isKeyword(this.#lexer.peek(), 'and')) {
      this.#lexer.next();
      left = { kind: 'and', left, right: this.#unary() };
    }
    return left;
  }

  #unary(): FilterNode {
    const token = this.#lexer.peek();
    if (!token) this.fail(`End of input at position ${this.#lexer.position} but expected a filter expression`);
    if (this.#isKeyword(token, 'not')) {
      this.#lexer.next();
      const open = this.#lexer.peek();
      if (open?.type !== '(') this.fail(`Expected '(' after 'not' at position ${this.#lexer.position}`);
      return { kind: 'not', operand: this.#group() };
    }
    if (token.type === '(') return this.#group();
    return this.#comparison();
  }

  #group(): FilterNode {
    const open = this.#lexer.next()!;
    if (++this.#depth > MAX_DEPTH) this.fail(`Parentheses nested deeper than ${MAX_DEPTH} levels at position ${open.position}`);
    const inner = this.#or();
    const close = this.#lexer.next();
    if (!close) this.fail(`No closing parenthesis matching opening parenthesis at position ${open.position}`);
    if (close.type !== ')') this.#unexpected(close);
    this.#depth--;
    return inner;
  }

  #comparison(): FilterNode {
    const attr = this.#lexer.next()!;
    if (attr.type !== 'word' || this.#isKeyword(attr, 'and') || this.#isKeyword(attr, 'or')) {
      if (attr.type === ')' && this.#depth === 0) this.#unexpected(attr);
      this.fail(`Expected an attribute reference at position ${attr.position}`);
    }
    const bracket = attr.text.search(/[[\]]/);
    if (bracket !== -1) this.fail(`Complex attribute filters ('[ ]') are not supported at position ${attr.position + bracket}`);
    const base = { attribute: attr.text, path: attr.text.split('.'), position: attr.position };

    const op = this.#lexer.next();
    if (!op) this.fail(`End of input at position ${this.#lexer.position} but expected an attribute operator`);
    const operator = op.text.toLowerCase();
    if (op.type !== 'word' || !OPERATORS.has(operator)) {
      this.fail(`Unrecognized attribute operator '${op.text}' at position ${op.position}. Expected: ${EXPECTED_OPERATORS}`);
    }
    if (operator === 'pr') return { kind: 'present', ...base };

    const token = this.#lexer.next();
    if (!token) this.fail(`End of input at position ${this.#lexer.position} while expecting a value for operator ${op.text}`);
    const value = this.#value(token);
    // No coercion: ordering needs a string or a number, substring operators a string (RFC 7644 §3.4.2.2).
    if (['gt', 'ge', 'lt', 'le'].includes(operator) && typeof value !== 'string' && typeof value !== 'number') {
      this.fail(`Operator ${operator} requires a string or number value at position ${token.position}`);
    }
    if (['sw', 'co', 'ew'].includes(operator) && typeof value !== 'string') {
      this.fail(`Operator ${operator} requires a string value at position ${token.position}`);
    }
    return { kind: 'compare', ...base, operator: operator as ComparisonOperator, value };
  }

  #value(token: Token): FilterValue {
    if (token.type === 'string') return token.value;
    if (token.type === 'word') {
      if (token.text === 'true') return true;
      if (token.text === 'false') return false;
      if (token.text === 'null') return null;
      if (NUMBER.test(token.text)) return Number(token.text);
    }
    return this.fail(
      `Invalid filter value '${token.text}' at position ${token.position}. Expected a string in quotes, a number, a boolean value (true,false) or null`,
    );
  }
}

// ---- Which attributes a System Log filter may name: the LogEvent schema (management spec 2025.08.0 and 2026.06.3).

/** A leaf, an object with known properties, a free-form map (any sub-path), or a property Okta refuses to query. */
type Field = 'leaf' | 'open' | 'refused' | Fields;
interface Fields {
  [name: string]: Field;
}

/** An object whose named properties are all leaves. */
const plain = (...names: string[]): Fields => Object.fromEntries(names.map((name) => [name, 'leaf' as const]));

const GEO: Fields = { ...plain('city', 'country', 'postalCode', 'state'), geolocation: plain('lat', 'lon') };
const IP_DETAILS: Fields = { ...plain('asNumber', 'asOrg', 'domain', 'isp'), ipServiceCategories: plain('isAnonymous', 'operator', 'type') };

const LOG_EVENT: Field = {
  ...plain('displayMessage', 'eventType', 'legacyEventType', 'severity', 'uuid', 'version'),
  actor: { ...plain('id', 'type', 'alternateId', 'displayName'), detailEntry: 'open' },
  authenticationContext: {
    ...plain('authenticationProvider', 'authenticationStep', 'credentialProvider', 'credentialType', 'externalSessionId', 'interface'),
    issuer: plain('id', 'type'),
  },
  client: { ...plain('device', 'id', 'ipAddress', 'zone'), geographicalContext: GEO, userAgent: plain('browser', 'os', 'rawUserAgent') },
  // debugData keys change from release to release (not a data contract), so any key is accepted.
  debugContext: { debugData: 'open' },
  outcome: plain('reason', 'result'),
  // "SCIM filter expressions cannot use the published attribute" (System Log API reference).
  published: 'refused',
  request: { ipChain: { ...plain('ip', 'source', 'version'), geographicalContext: GEO, ipDetails: IP_DETAILS } },
  securityContext: {
    ...plain('asNumber', 'asOrg', 'domain', 'isp', 'isProxy'),
    botProtection: plain('level'),
    ipDetails: IP_DETAILS,
    risk: plain('detectionName', 'issuer', 'level', 'previousLevel', 'reasons'),
    userBehaviors: plain('id', 'name', 'result'),
  },
  target: {
    ...plain('alternateId', 'displayName', 'id', 'type'),
    // "You can't run queries on changeDetails or the object's to or from properties" (LogTarget schema).
    changeDetails: 'refused',
    detailEntry: 'open',
  },
  transaction: { ...plain('id', 'type'), detail: 'open' },
};

/** Fields whose `co` Okta documents as unsupported (E0000031). */
const NO_CONTAINS = new Set(['debugContext.debugData.url', 'debugContext.debugData.requestUri']);

function isQueryable(path: string[]): boolean {
  let field: Field = LOG_EVENT;
  for (const [i, segment] of path.entries()) {
    if (field === 'open') return path.slice(i).every((s) => s !== '');
    if (typeof field === 'string' || !Object.hasOwn(field, segment)) return false;
    field = field[segment]!;
  }
  return field !== 'refused';
}

function leaves(node: FilterNode): Array<Extract<FilterNode, { path: string[] }>> {
  if (node.kind === 'and' || node.kind === 'or') return [...leaves(node.left), ...leaves(node.right)];
  if (node.kind === 'not') return leaves(node.operand);
  return [node];
}

/**
 * Parses a System Log filter and checks every attribute it names, left to right.
 * @throws ScimFilterError E0000053 for a syntax error or an attribute outside the `LogEvent` schema, E0000031
 *   for `co` on `debugContext.debugData.url` or `requestUri`.
 */
export function parseFilter(text: string): FilterNode {
  const node = new Parser(text).parse();
  for (const leaf of leaves(node)) {
    if (!isQueryable(leaf.path)) throw new ScimFilterError('E0000053', `field is not valid: ${leaf.attribute}`);
    if (leaf.kind === 'compare' && leaf.operator === 'co' && NO_CONTAINS.has(leaf.attribute)) {
      throw new ScimFilterError(
        'E0000031',
        `The supplied combination of operator and field is not currently supported. Operator: co, Field: ${leaf.attribute}`,
      );
    }
  }
  return node;
}

// ---- Evaluation

/** Every value at `path`; arrays on the way (and at the end) fan out, so `target.id` is each target's id. */
function resolve(event: unknown, path: string[]): unknown[] {
  let current: unknown[] = [event];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const value of current.flat()) {
      if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment)) next.push((value as Record<string, unknown>)[segment]);
    }
    current = next;
  }
  return current.flat();
}

function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function compare(actual: unknown, operator: ComparisonOperator, expected: FilterValue): boolean {
  if (operator === 'eq') return actual === expected;
  // Values of another JSON type never compare: `asNumber eq "1"` does not match the number 1.
  if (typeof actual !== typeof expected) return false;
  if (typeof actual === 'string' && typeof expected === 'string') {
    if (operator === 'sw') return actual.startsWith(expected);
    if (operator === 'co') return actual.includes(expected);
    if (operator === 'ew') return actual.endsWith(expected);
  }
  if ((typeof actual === 'string' || typeof actual === 'number') && (typeof expected === 'string' || typeof expected === 'number')) {
    if (operator === 'gt') return actual > expected;
    if (operator === 'ge') return actual >= expected;
    if (operator === 'lt') return actual < expected;
    if (operator === 'le') return actual <= expected;
  }
  return false;
}

/**
 * Whether `event` satisfies `node`. A multi-valued attribute matches when any of its values does; `ne` is the
 * negation of `eq` over all of them ("no target has this id"). String comparisons are case-sensitive.
 */
export function matches(node: FilterNode, event: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return matches(node.left, event) && matches(node.right, event);
    case 'or':
      return matches(node.left, event) || matches(node.right, event);
    case 'not':
      return !matches(node.operand, event);
    case 'present':
      return resolve(event, node.path).some(isPresent);
    case 'compare': {
      const values = resolve(event, node.path);
      if (node.operator === 'eq') return matchesEq(values, node.value);
      if (node.operator === 'ne') return !matchesEq(values, node.value);
      return values.some((v) => compare(v, node.operator, node.value));
    }
  }
}

/** `eq null` also matches an absent attribute. */
function matchesEq(values: unknown[], expected: FilterValue): boolean {
  if (expected === null && values.length === 0) return true;
  return values.some((v) => compare(v, 'eq', expected));
}
