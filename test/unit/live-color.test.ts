import { expect } from 'chai';
import { liveColor } from '../../src/run/newman-phase.ts';

describe("colour in Newman's live reporter", () => {
  it('is off when stdout is not a terminal', () => {
    expect(liveColor({ isTTY: false }, {})).to.equal('off');
  });

  it('is off on a terminal when NO_COLOR is set', () => {
    expect(liveColor({ isTTY: true }, { NO_COLOR: '1' })).to.equal('off');
  });

  it("is left to Newman's terminal check on a terminal without NO_COLOR", () => {
    expect(liveColor({ isTTY: true }, {})).to.equal('auto');
  });
});
