import { expect } from 'chai';
import { EXIT_CODES, exitCodeOf, HarnessError } from '../../src/errors.ts';

describe('exit codes, decided in one place', () => {
  it('exits 0 when nothing went wrong', () => {
    expect(exitCodeOf({})).to.equal(EXIT_CODES.passed);
  });

  it('exits 1 when a check failed', () => {
    expect(exitCodeOf({ failed: true })).to.equal(EXIT_CODES.assertionsFailed);
  });

  it('exits 3 when the run broke, even with failed checks', () => {
    expect(exitCodeOf({ broken: true, failed: true })).to.equal(EXIT_CODES.runBroken);
  });

  it('exits 2 when the org refused the input before anything was taken, even though that stopped the run', () => {
    expect(exitCodeOf({ refused: true, broken: true })).to.equal(EXIT_CODES.badInput);
  });

  it('exits 130 on Ctrl-C, whatever else went wrong', () => {
    expect(exitCodeOf({ interrupted: true, refused: true, broken: true, failed: true })).to.equal(EXIT_CODES.interrupted);
  });

  it("exits with a HarnessError's own code, before anything else", () => {
    const error = new HarnessError('ERR_EVENTS_INVALID', 'bad events');
    expect(exitCodeOf({ error, interrupted: true, failed: true })).to.equal(EXIT_CODES.badInput);
  });

  it('exits 3, never 1, for an error okta-risk did not expect', () => {
    expect(exitCodeOf({ error: new TypeError('a bug') })).to.equal(EXIT_CODES.runBroken);
  });
});
