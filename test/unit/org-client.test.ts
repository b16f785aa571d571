import { expect } from 'chai';
import { rateLimitWait } from '../../src/org/org-client.ts';
import { isUnlinked } from '../../src/run/provider-guard.ts';

describe("honouring Okta's rate-limit headers", () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0);

  it('does not wait while calls remain', () => {
    expect(rateLimitWait(new Headers({ 'x-rate-limit-remaining': '2', 'x-rate-limit-reset': String(now / 1000 + 30) }), now)).to.equal(0);
  });

  it('waits until just past the reset when none remain', () => {
    expect(rateLimitWait(new Headers({ 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(now / 1000 + 30) }), now)).to.equal(30_050);
  });

  it('does not wait without rate-limit headers', () => {
    expect(rateLimitWait(new Headers(), now)).to.equal(0);
  });
});

describe('telling a free provider', () => {
  it("treats Okta's \"null\" string, null and empty as no client linked", () => {
    expect([isUnlinked('null'), isUnlinked(null), isUnlinked(''), isUnlinked(undefined)]).to.deep.equal([true, true, true, true]);
  });

  it('treats a client id as linked', () => {
    expect(isUnlinked('0oaaaboyxsbrWdsk81d6')).to.equal(false);
  });
});
