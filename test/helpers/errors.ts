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

/** Awaits `promise`, expects it to reject, and returns the error for the caller's exact assertions. */
export async function rejectionOf<E extends Error = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
