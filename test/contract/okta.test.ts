/** The shared Okta contract's building blocks, and who may import it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import * as okta from '../../src/okta/index.ts';
import { isIpAddress } from '../../src/okta/ip.ts';
import { privateMembersOf, PUBLIC_JWK_MEMBERS } from '../../src/okta/jwk.ts';
import { isRiskProviderAction, RISK_PROVIDER_ACTIONS } from '../../src/okta/risk-providers.ts';
import { riskEventBatchCauses, riskEventCauses } from '../../src/okta/risk-events.ts';
import { compareRfc3339Instants, parseRfc3339, parseRfc3339Instant, type Rfc3339Instant } from '../../src/okta/time.ts';

const SRC = new URL('../../src/', import.meta.url).pathname;

/** The module specifiers every file of `src/<dir>` imports. */
function importsOf(dir: string): Array<{ file: string; specifier: string }> {
  return readdirSync(join(SRC, dir))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(SRC, dir, file), 'utf8').matchAll(/^(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => ({ file: `${dir}/${file}`, specifier: m[1]! })),
    );
}

describe('the Okta contract (src/okta)', () => {
  describe('RFC 3339 date-times', () => {
    it('reads Z and numeric offsets as the same instant', () => {
      expect(parseRfc3339('2021-01-20T02:00:00+02:00')).to.equal(Date.UTC(2021, 0, 20, 0, 0, 0));
      expect(parseRfc3339('2021-01-19T16:00:00.001-08:00')).to.equal(Date.UTC(2021, 0, 20, 0, 0, 0, 1));
    });

    it('takes up to 9 fraction digits and refuses a 10th', () => {
      expect(parseRfc3339('2021-01-20T00:00:00.123456789Z')).to.equal(Date.UTC(2021, 0, 20, 0, 0, 0, 123));
      expect(parseRfc3339('2021-01-20T00:00:00.1234567890Z')).to.equal(undefined);
    });

    it('knows leap years, the year 0 and 2000 included, and refuses 29 February otherwise', () => {
      expect(parseRfc3339('2000-02-29T00:00:00Z')).to.equal(Date.UTC(2000, 1, 29));
      expect(parseRfc3339('0000-02-29T00:00:00Z')).to.be.a('number');
      expect(parseRfc3339('1900-02-29T00:00:00Z')).to.equal(undefined);
      expect(parseRfc3339('2021-02-29T00:00:00Z')).to.equal(undefined);
    });

    it('reads a year below 100 as that year, not as 19xx', () => {
      expect(new Date(parseRfc3339('0050-06-01T00:00:00Z')!).getUTCFullYear()).to.equal(50);
    });

    it('refuses a leap second, hour 24, an offset of 24 hours, lower-case letters and a space for T', () => {
      for (const value of ['2016-12-31T23:59:60Z', '2021-01-20T24:00:00Z', '2021-01-20T00:00:00+24:00', '2021-01-20t00:00:00z', '2021-01-20 00:00:00Z']) {
        expect(parseRfc3339(value), value).to.equal(undefined);
      }
    });
  });

  describe('ordering RFC 3339 instants to the nanosecond', () => {
    const at = (value: string): Rfc3339Instant => {
      const instant = parseRfc3339Instant(value);
      if (instant === undefined) throw new Error(`not a date-time: ${value}`);
      return instant;
    };

    it('puts an instant one nanosecond later after the earlier one', () => {
      expect(compareRfc3339Instants(at('2021-01-20T00:00:00.000000001Z'), at('2021-01-20T00:00:00Z'))).to.be.above(0);
    });

    it('puts an instant one nanosecond earlier before the later one', () => {
      expect(compareRfc3339Instants(at('2021-01-20T00:00:00.123456788Z'), at('2021-01-20T00:00:00.123456789Z'))).to.be.below(0);
    });

    it('finds the same instant equal whatever the fraction length and offset', () => {
      expect(compareRfc3339Instants(at('2021-01-20T01:00:00.5+01:00'), at('2021-01-20T00:00:00.500000000Z'))).to.equal(0);
    });

    it('orders by seconds before fraction, so a longer fraction in an earlier second stays earlier', () => {
      expect(compareRfc3339Instants(at('2021-01-19T23:59:59.999999999Z'), at('2021-01-20T00:00:00Z'))).to.be.below(0);
    });

    it('keeps all 9 fraction digits as whole nanoseconds', () => {
      expect(at('2021-01-20T00:00:00.000000007Z')).to.deep.equal({ seconds: Date.UTC(2021, 0, 20) / 1000, nanos: 7 });
      expect(at('2021-01-20T00:00:00.12Z').nanos).to.equal(120_000_000);
    });

    it('refuses what parseRfc3339 refuses', () => {
      expect(parseRfc3339Instant('2021-01-20T00:00:00.1234567890Z')).to.equal(undefined);
      expect(parseRfc3339Instant('2016-12-31T23:59:60Z')).to.equal(undefined);
    });
  });

  describe('IP addresses', () => {
    it('takes IPv4, IPv6 and IPv4-mapped IPv6', () => {
      for (const ip of ['1.1.1.1', '2001:db8::1', '::ffff:1.2.3.4', 'fe80::1']) expect(isIpAddress(ip), ip).to.equal(true);
    });

    it('refuses a zone index, a short dotted quad, an octet over 255 and surrounding spaces', () => {
      for (const ip of ['fe80::1%eth0', 'fe80::1%1', '1.1.1', '300.1.1.1', ' 1.1.1.1']) expect(isIpAddress(ip), ip).to.equal(false);
    });
  });

  describe('risk provider actions', () => {
    it("lists Okta's three actions", () => {
      expect(RISK_PROVIDER_ACTIONS).to.deep.equal(['none', 'log_only', 'enforce_and_log']);
    });

    it('refuses an action outside the enum, case included', () => {
      expect(isRiskProviderAction('log_only')).to.equal(true);
      expect(isRiskProviderAction('LOG_ONLY')).to.equal(false);
      expect(isRiskProviderAction(undefined)).to.equal(false);
    });
  });

  describe('JWK members', () => {
    it('finds every private or symmetric member, oth and k included', () => {
      expect(privateMembersOf({ kty: 'RSA', n: 'x', e: 'AQAB', d: 'x', oth: [], k: 'x' })).to.deep.equal(['d', 'oth', 'k']);
    });

    it('finds none in a public key', () => {
      expect(privateMembersOf({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k', use: 'sig', alg: 'ES256' })).to.deep.equal([]);
    });

    it("allows a public key only its kty's members and kid, use, alg", () => {
      expect([...PUBLIC_JWK_MEMBERS.RSA].sort()).to.deep.equal(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect([...PUBLIC_JWK_MEMBERS.EC].sort()).to.deep.equal(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    });
  });

  describe('risk events', () => {
    it('names paths from an event at the root without a leading dot', () => {
      expect(riskEventCauses({ subjects: [{ ip: '1.1.1', riskLevel: 'LOW' }], x: 1 }, '')).to.deep.equal([
        { field: 'x', message: 'is not a recognized field; allowed fields are timestamp, expiresAt, subjects' },
        { field: 'subjects[0].ip', message: 'must be an IPv4 or IPv6 address' },
      ]);
    });

    it('accepts a valid batch of 20 events and refuses 21 as a whole', () => {
      const event = { subjects: [{ ip: '1.1.1.1', riskLevel: 'LOW' }] };
      expect(riskEventBatchCauses(Array.from({ length: 20 }, () => event))).to.deep.equal([]);
      expect(riskEventBatchCauses(Array.from({ length: 21 }, () => event))).to.deep.equal([{ field: 'body', message: 'must contain at most 20 risk events, got 21' }]);
    });

    it('is reachable from the index, with the SSF rules as a namespace', () => {
      expect(okta.riskEventBatchCauses).to.equal(riskEventBatchCauses);
      expect(okta.ssf.SET_TYP).to.equal('secevent+jwt');
    });
  });

  describe('boundaries', () => {
    it('imports neither the harness nor the emulator', () => {
      const outside = importsOf('okta').filter(({ specifier }) => !specifier.startsWith('./') && !specifier.startsWith('node:'));
      expect(outside).to.deep.equal([]);
    });

    it('is what the emulator imports, and the emulator imports nothing else of src', () => {
      const emulatorImports = importsOf('emulator');
      const harness = emulatorImports.filter(({ specifier }) => specifier.startsWith('../') && !specifier.startsWith('../okta/'));
      expect(harness).to.deep.equal([]);
      expect(emulatorImports.some(({ specifier }) => specifier === '../okta/risk-events.ts')).to.equal(true);
    });
  });
});
