import { expect } from 'chai';
import { assertMatchesSpec } from '../helpers/openapi.ts';

describe('OpenAPI response validation (test helper)', () => {
  it('accepts a risk provider shaped as Okta documents it', () => {
    assertMatchesSpec('management', 'GET', '/api/v1/risk/providers/{riskProviderId}', 200, {
      id: 'rkpa9y5jpfe8l4ktr1d6',
      name: 'Risk Provider Example',
      clientId: '0oaaaboyxsbrWdsk81d6',
      action: 'enforce_and_log',
      _links: { self: { href: 'https://example.okta.com/api/v1/risk/providers/rkpa9y5jpfe8l4ktr1d6', hints: { allow: ['GET', 'PUT', 'DELETE'] } } },
    });
  });

  it('rejects a risk provider whose action is outside the enum', () => {
    expect(() =>
      assertMatchesSpec('management', 'GET', '/api/v1/risk/providers/{riskProviderId}', 200, {
        id: 'rkpa9y5jpfe8l4ktr1d6',
        name: 'x',
        clientId: 'y',
        action: 'log',
        _links: { self: { href: 'h' } },
      }),
    ).to.throw(/does not match Okta's spec/);
  });
});
