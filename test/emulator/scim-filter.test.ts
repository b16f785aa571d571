import { expect } from 'chai';
import { matches, parseFilter, ScimFilterError } from '../../src/emulator/scim-filter.ts';

/** The error `parseFilter` throws for `text`; fails the test when it parses. */
function failure(text: string): ScimFilterError {
  try {
    parseFilter(text);
  } catch (error) {
    if (error instanceof ScimFilterError) return error;
    throw error;
  }
  return expect.fail(`expected ${text} to be rejected`);
}

function invalid(text: string, reason: string): void {
  const error = failure(text);
  expect(error.status).to.equal(400);
  expect(error.code).to.equal('E0000053');
  expect(error.summary).to.equal(`Invalid filter '${text}': ${reason}`);
}

function fieldNotValid(text: string, field: string): void {
  const error = failure(text);
  expect(error.code).to.equal('E0000053');
  expect(error.summary).to.equal(`field is not valid: ${field}`);
}

const event = {
  uuid: 'dc9fd3c0-598c-11ef-8478-2b7584bf8d5a',
  published: '2026-11-28T12:00:00.000Z',
  eventType: 'security.risk.signal.consume',
  severity: 'INFO',
  displayMessage: 'Risk signal consumed',
  actor: null,
  outcome: { result: 'SUCCESS', reason: '' },
  client: { ipAddress: '184.73.186.14' },
  securityContext: { asNumber: 394089, isProxy: false, domain: null },
  target: [
    { id: 'rkpa9y5jpfe8l4ktr1d6', type: 'RiskProvider', displayName: 'Risk-Partner-X' },
    { id: '0oaaaboyxsbrWdsk81d6', type: 'AppInstance', displayName: 'Risk service app' },
  ],
  debugContext: { debugData: { riskSignalProviderId: 'rkpa9y5jpfe8l4ktr1d6', riskSignalSize: '2' } },
};

const test = (filter: string, subject: unknown = event): boolean => matches(parseFilter(filter), subject);

describe('SCIM filter: parsing', () => {
  it('parses an attribute comparison into a compare node with its position', () => {
    expect(parseFilter('eventType eq "user.session.start"')).to.deep.equal({
      kind: 'compare',
      attribute: 'eventType',
      path: ['eventType'],
      operator: 'eq',
      value: 'user.session.start',
      position: 0,
    });
  });

  it('accepts operators in any case', () => {
    expect(parseFilter('eventType EQ "x"')).to.include({ kind: 'compare', operator: 'eq' });
    expect(parseFilter('actor.id Pr')).to.include({ kind: 'present', attribute: 'actor.id' });
  });

  it('accepts the logical keywords in any case', () => {
    const node = parseFilter('NOT (eventType eq "a") AND eventType eq "b" Or eventType eq "c"');
    expect(node.kind).to.equal('or');
  });

  it('reads true, false, null and JSON numbers as typed values', () => {
    expect(parseFilter('securityContext.isProxy eq true')).to.include({ value: true });
    expect(parseFilter('securityContext.isProxy eq false')).to.include({ value: false });
    expect(parseFilter('securityContext.domain eq null')).to.include({ value: null });
    expect(parseFilter('securityContext.asNumber ge -1.5e3')).to.include({ value: -1500 });
  });

  it('unescapes \\" and the other JSON escapes inside a string value', () => {
    expect(parseFilter('displayMessage eq "say \\"hi\\"\\\\ \\u0041"')).to.include({ value: 'say "hi"\\ A' });
  });

  it('rejects an unknown operator with Okta\'s documented text and position', () => {
    invalid('display_message eqq "Create okta user"', "Unrecognized attribute operator 'eqq' at position 16. Expected: eq,co,sw,pr,gt,ge,lt,le");
  });

  it('rejects a string where an operator belongs as an unrecognized operator', () => {
    invalid('eventType "x"', 'Unrecognized attribute operator \'"x"\' at position 10. Expected: eq,co,sw,pr,gt,ge,lt,le');
  });

  it('rejects a blank filter: end of input where an expression is expected', () => {
    invalid('  ', 'End of input at position 2 but expected a filter expression');
  });

  it('rejects a trailing and: end of input where an expression is expected', () => {
    invalid('eventType eq "a" and', 'End of input at position 20 but expected a filter expression');
  });

  it('rejects an attribute with no operator', () => {
    invalid('eventType', 'End of input at position 9 but expected an attribute operator');
  });

  it('rejects an operator with no value', () => {
    invalid('eventType eq ', 'End of input at position 13 while expecting a value for operator eq');
  });

  it('rejects an unterminated string', () => {
    invalid('eventType eq "user.session', 'End of input in a string value that began at position 13');
  });

  it('rejects a string whose last character is an escaping backslash as unterminated', () => {
    invalid('eventType eq "a\\', 'End of input in a string value that began at position 13');
  });

  it('rejects an unknown escape sequence', () => {
    invalid('eventType eq "a\\qb"', "Unrecognized escape sequence '\\q' in a string value at position 15");
  });

  it('rejects a bare word as a value', () => {
    invalid(
      'eventType eq user.session.start',
      "Invalid filter value 'user.session.start' at position 13. Expected a string in quotes, a number, a boolean value (true,false) or null",
    );
  });

  it('rejects capitalised literals: true, false and null are lower case', () => {
    invalid(
      'securityContext.isProxy eq TRUE',
      "Invalid filter value 'TRUE' at position 27. Expected a string in quotes, a number, a boolean value (true,false) or null",
    );
  });

  it('rejects a closing parenthesis with no opening one', () => {
    invalid('eventType eq "a")', 'No opening parenthesis matching closing parenthesis at position 16');
  });

  it('rejects an opening parenthesis that is never closed', () => {
    invalid('(eventType eq "a"', 'No closing parenthesis matching opening parenthesis at position 0');
  });

  it('accepts balanced, nested parentheses', () => {
    expect(parseFilter('((eventType eq "a"))')).to.include({ kind: 'compare', value: 'a' });
  });

  it('rejects two comparisons with no logical operator between them', () => {
    invalid('eventType eq "a" eventType eq "b"', "Unexpected characters 'eventType' at position 17");
  });

  it('rejects a value after pr', () => {
    invalid('actor.id pr "x"', 'Unexpected characters \'"x"\' at position 12');
  });

  it('rejects not without a parenthesised operand', () => {
    invalid('not eventType eq "a"', "Expected '(' after 'not' at position 4");
  });

  it('rejects a logical keyword where an attribute belongs', () => {
    invalid('and eq "a"', 'Expected an attribute reference at position 0');
  });

  it('rejects complex attribute filters ([ ])', () => {
    invalid('target[type eq "User"].id eq "00u1"', "Complex attribute filters ('[ ]') are not supported at position 6");
  });

  it('rejects ordering against a boolean or null', () => {
    invalid('securityContext.isProxy gt false', 'Operator gt requires a string or number value at position 27');
    invalid('securityContext.domain le null', 'Operator le requires a string or number value at position 26');
  });

  it('rejects sw, co and ew against anything but a string', () => {
    invalid('securityContext.asNumber sw 39', 'Operator sw requires a string value at position 28');
  });

  it('rejects parentheses nested deeper than 50 levels', () => {
    const deep = '('.repeat(51) + 'eventType eq "a"' + ')'.repeat(51);
    invalid(deep, 'Parentheses nested deeper than 50 levels at position 50');
    expect(() => parseFilter('('.repeat(50) + 'eventType eq "a"' + ')'.repeat(50))).not.to.throw();
  });
});

describe('SCIM filter: attributes', () => {
  it('accepts the LogEvent attributes of Okta\'s filter examples', () => {
    for (const f of ['target.id eq "00u1"', 'actor.id ne "x"', 'client.ipAddress eq "184.73.186.14"', 'outcome.result eq "FAILURE"']) {
      expect(() => parseFilter(f), f).not.to.throw();
    }
  });

  it('rejects an attribute outside the LogEvent schema with "field is not valid"', () => {
    fieldNotValid('some_invalid_field eq "x"', 'some_invalid_field');
  });

  it('treats attribute names as case-sensitive', () => {
    fieldNotValid('EventType eq "x"', 'EventType');
  });

  it('rejects a sub-path of a leaf attribute', () => {
    fieldNotValid('eventType.name eq "x"', 'eventType.name');
  });

  it('reports the first invalid field from the left', () => {
    fieldNotValid('eventType eq "a" or bad_one eq "b" or bad_two eq "c"', 'bad_one');
  });

  it('rejects published, which belongs to since and until', () => {
    fieldNotValid('published gt "2026-01-01T00:00:00Z"', 'published');
  });

  it('rejects queries on target.changeDetails', () => {
    fieldNotValid('target.changeDetails.to.name eq "x"', 'target.changeDetails.to.name');
  });

  it('accepts any key under debugContext.debugData', () => {
    expect(() => parseFilter('debugContext.debugData.riskSignalProviderId eq "rkp1"')).not.to.throw();
    expect(() => parseFilter('debugContext.debugData.some.nested_key pr')).not.to.throw();
  });

  it('rejects an empty segment under debugContext.debugData', () => {
    fieldNotValid('debugContext.debugData.a..b eq "x"', 'debugContext.debugData.a..b');
  });

  it('accepts the current schema\'s securityContext.risk attributes', () => {
    expect(() => parseFilter('securityContext.risk.level eq "HIGH"')).not.to.throw();
  });

  it('rejects co on debugContext.debugData.url with Okta\'s documented E0000031 text', () => {
    const error = failure('debugContext.debugData.url co "/api"');
    expect(error.status).to.equal(400);
    expect(error.code).to.equal('E0000031');
    expect(error.summary).to.equal(
      'The supplied combination of operator and field is not currently supported. Operator: co, Field: debugContext.debugData.url',
    );
  });

  it('rejects co on debugContext.debugData.requestUri with E0000031', () => {
    const error = failure('debugContext.debugData.requestUri CO "/api"');
    expect(error.code).to.equal('E0000031');
    expect(error.summary).to.equal(
      'The supplied combination of operator and field is not currently supported. Operator: co, Field: debugContext.debugData.requestUri',
    );
  });

  it('accepts the other operators on debugContext.debugData.url', () => {
    expect(() => parseFilter('debugContext.debugData.url sw "/api" and debugContext.debugData.requestUri eq "/x"')).not.to.throw();
  });
});

describe('SCIM filter: evaluation', () => {
  it('eq matches an equal string', () => {
    expect(test('eventType eq "security.risk.signal.consume"')).to.equal(true);
  });

  it('eq does not match a different string', () => {
    expect(test('eventType eq "user.session.start"')).to.equal(false);
  });

  it('eq compares strings case-sensitively', () => {
    expect(test('eventType eq "SECURITY.RISK.SIGNAL.CONSUME"')).to.equal(false);
  });

  it('eq never coerces: a number does not equal its string form', () => {
    expect(test('securityContext.asNumber eq 394089')).to.equal(true);
    expect(test('securityContext.asNumber eq "394089"')).to.equal(false);
  });

  it('eq matches booleans', () => {
    expect(test('securityContext.isProxy eq false')).to.equal(true);
    expect(test('securityContext.isProxy eq true')).to.equal(false);
  });

  it('eq null matches a null or absent attribute and nothing else', () => {
    expect(test('securityContext.domain eq null')).to.equal(true);
    expect(test('actor.id eq null')).to.equal(true);
    expect(test('eventType eq null')).to.equal(false);
  });

  it('ne matches a different value', () => {
    expect(test('eventType ne "user.session.start"')).to.equal(true);
  });

  it('ne does not match an equal value', () => {
    expect(test('eventType ne "security.risk.signal.consume"')).to.equal(false);
  });

  it('gt and ge compare numbers', () => {
    expect(test('securityContext.asNumber gt 394088')).to.equal(true);
    expect(test('securityContext.asNumber gt 394089')).to.equal(false);
    expect(test('securityContext.asNumber ge 394089')).to.equal(true);
    expect(test('securityContext.asNumber ge 394090')).to.equal(false);
  });

  it('lt and le compare strings lexicographically', () => {
    expect(test('eventType lt "t"')).to.equal(true);
    expect(test('eventType lt "a"')).to.equal(false);
    expect(test('eventType le "security.risk.signal.consume"')).to.equal(true);
    expect(test('eventType le "security.risk.signal.consumd"')).to.equal(false);
  });

  it('ordering never compares a string with a number', () => {
    expect(test('securityContext.asNumber lt "5"')).to.equal(false);
  });

  it('sw matches a prefix only', () => {
    expect(test('eventType sw "security.risk"')).to.equal(true);
    expect(test('eventType sw "risk"')).to.equal(false);
  });

  it('co matches a substring', () => {
    expect(test('eventType co "risk.signal"')).to.equal(true);
    expect(test('eventType co "session"')).to.equal(false);
  });

  it('ew matches a suffix only', () => {
    expect(test('eventType ew "consume"')).to.equal(true);
    expect(test('eventType ew "security"')).to.equal(false);
  });

  it('pr matches an attribute with a value', () => {
    expect(test('client.ipAddress pr')).to.equal(true);
  });

  it('pr does not match an absent, null or empty attribute', () => {
    expect(test('client.id pr')).to.equal(false);
    expect(test('actor pr')).to.equal(false);
    expect(test('outcome.reason pr')).to.equal(false);
  });

  it('a filter on target.x matches when any target matches', () => {
    expect(test('target.id eq "0oaaaboyxsbrWdsk81d6"')).to.equal(true);
    expect(test('target.type eq "RiskProvider" and target.type eq "AppInstance"')).to.equal(true);
  });

  it('a filter on target.x does not match when no target matches', () => {
    expect(test('target.id eq "00u1"')).to.equal(false);
    expect(test('target.id eq "00u1"', { ...event, target: [] })).to.equal(false);
  });

  it('ne on target.x matches only when no target has the value', () => {
    expect(test('target.id ne "rkpa9y5jpfe8l4ktr1d6"')).to.equal(false);
    expect(test('target.id ne "00u1"')).to.equal(true);
  });

  it('matches keys under debugContext.debugData', () => {
    expect(test('debugContext.debugData.riskSignalProviderId eq "rkpa9y5jpfe8l4ktr1d6"')).to.equal(true);
    expect(test('debugContext.debugData.riskSignalProviderId eq "rkpOther"')).to.equal(false);
  });

  it('and needs both sides', () => {
    expect(test('eventType sw "security" and client.ipAddress eq "184.73.186.14"')).to.equal(true);
    expect(test('eventType sw "security" and client.ipAddress eq "10.0.0.1"')).to.equal(false);
  });

  it('or needs either side', () => {
    expect(test('eventType eq "x" or client.ipAddress eq "184.73.186.14"')).to.equal(true);
    expect(test('eventType eq "x" or client.ipAddress eq "10.0.0.1"')).to.equal(false);
  });

  it('not negates its operand', () => {
    expect(test('not (eventType eq "x")')).to.equal(true);
    expect(test('not (eventType sw "security")')).to.equal(false);
  });

  it('and binds tighter than or', () => {
    // true or (false and false) = true; left to right would give (true or false) and false = false.
    expect(test('eventType sw "security" or eventType eq "x" and eventType eq "y"')).to.equal(true);
  });

  it('not binds tighter than and', () => {
    // (not false) and false = false; not (false and false) would be true.
    expect(test('not (eventType eq "x") and eventType eq "y"')).to.equal(false);
  });

  it('parentheses override precedence', () => {
    expect(test('(eventType sw "security" or eventType eq "x") and eventType eq "y"')).to.equal(false);
  });
});
