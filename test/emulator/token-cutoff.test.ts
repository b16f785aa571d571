import { expect } from 'chai';
import { ManualClock } from '../../src/emulator/clock.ts';
import { ACCESS_TOKEN_LIFETIME_SECONDS, TOKEN_CUTOFFS_MAX, TokenCutoffs } from '../../src/emulator/token-cutoff.ts';

const START = Date.UTC(2026, 0, 1);
const SECOND = START / 1000;
const SCOPE = 'okta.logs.read';

describe('token cutoffs: bounded bookkeeping of deactivations and revoked grants', () => {
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(START);
  });

  it('keeps at most 10,000 cutoffs by default', () => {
    expect(TOKEN_CUTOFFS_MAX).to.equal(10_000);
  });

  it('refuses a token issued before a revocation of a scope it carries, and only that one', () => {
    const cutoffs = new TokenCutoffs(clock);
    clock.advance(1_000);
    cutoffs.revoked('app', SCOPE);
    expect(cutoffs.allows('app', [SCOPE], SECOND, 'AT.a')).to.equal(false);
    expect(cutoffs.allows('app', ['okta.apps.read'], SECOND, 'AT.b')).to.equal(true);
    expect(cutoffs.allows('other', [SCOPE], SECOND, 'AT.c')).to.equal(true);
  });

  it('counts one cutoff per app and scope, a second revocation replacing the first', () => {
    const cutoffs = new TokenCutoffs(clock);
    cutoffs.revoked('app', SCOPE);
    cutoffs.revoked('app', SCOPE);
    cutoffs.deactivated('app');
    expect(cutoffs.size).to.equal(2);
  });

  it('drops cutoffs older than a token lifetime when full, and keeps the new one', () => {
    const cutoffs = new TokenCutoffs(clock, 2);
    cutoffs.revoked('a', SCOPE);
    cutoffs.revoked('b', SCOPE);
    clock.advance(ACCESS_TOKEN_LIFETIME_SECONDS * 1000);
    cutoffs.revoked('c', SCOPE);
    expect([cutoffs.size, cutoffs.has('a'), cutoffs.has('b'), cutoffs.has('c')]).to.deep.equal([1, false, false, true]);
  });

  it('ends every token issued so far, of every app, when full of live cutoffs (stricter than dropping one)', () => {
    const cutoffs = new TokenCutoffs(clock, 2);
    cutoffs.revoked('a', SCOPE);
    cutoffs.revoked('b', SCOPE);
    clock.advance(1_000);
    cutoffs.revoked('c', SCOPE);
    expect(cutoffs.size).to.equal(1);
    expect(cutoffs.allows('d', ['okta.apps.read'], SECOND, 'AT.d')).to.equal(false);
    expect(cutoffs.allows('a', [SCOPE], SECOND, 'AT.a')).to.equal(false);
  });

  it('accepts a token issued after the org-wide cutoff, within its second and later', () => {
    const cutoffs = new TokenCutoffs(clock, 1);
    cutoffs.revoked('a', SCOPE);
    cutoffs.revoked('b', SCOPE);
    cutoffs.noteIssued('a', [SCOPE], SECOND, 'AT.same-second');
    expect(cutoffs.allows('a', [SCOPE], SECOND, 'AT.same-second')).to.equal(true);
    expect(cutoffs.allows('a', [SCOPE], SECOND + 1, 'AT.later')).to.equal(true);
  });

  it('refuses a token issued in the cutoff second once 10,000 such tokens are remembered (stricter)', () => {
    const cutoffs = new TokenCutoffs(clock);
    cutoffs.revoked('app', SCOPE);
    for (let i = 0; i < 10_000; i++) cutoffs.noteIssued('app', [SCOPE], SECOND, `AT.${i}`);
    cutoffs.noteIssued('app', [SCOPE], SECOND, 'AT.one-too-many');
    expect(cutoffs.allows('app', [SCOPE], SECOND, 'AT.9999')).to.equal(true);
    expect(cutoffs.allows('app', [SCOPE], SECOND, 'AT.one-too-many')).to.equal(false);
  });

  it('gives the jti budget back when an app is deleted', () => {
    const cutoffs = new TokenCutoffs(clock);
    cutoffs.revoked('gone', SCOPE);
    for (let i = 0; i < 10_000; i++) cutoffs.noteIssued('gone', [SCOPE], SECOND, `AT.${i}`);
    cutoffs.delete('gone');
    cutoffs.revoked('app', SCOPE);
    cutoffs.noteIssued('app', [SCOPE], SECOND, 'AT.after');
    expect(cutoffs.allows('app', [SCOPE], SECOND, 'AT.after')).to.equal(true);
  });
});
