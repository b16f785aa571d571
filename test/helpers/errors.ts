import { expect } from 'chai';
import { HarnessError } from '../../src/errors.ts';

/** Runs `fn`, expects it to throw a HarnessError, and returns it for the caller's exact assertions. */
export function harnessErrorOf(fn: () => unknown): HarnessError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(HarnessError);
    return error as HarnessError;
  }
  throw new Error('expected a HarnessError');
}
