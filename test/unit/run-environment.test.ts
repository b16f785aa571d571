import { expect } from 'chai';
import { RunEnvironment, type LiveScope } from '../../src/run/run-environment.ts';

/** A stand-in for a Newman run's VariableScope. */
function liveScope(values: Record<string, string>): LiveScope & { values: Record<string, string> } {
  return { values, get: (key) => values[key], set: (key, value) => void (values[key] = value), toObject: () => ({ ...values }) };
}

describe('the run environment', () => {
  it('reads an unset variable as the empty string', () => {
    expect(new RunEnvironment({}).get('clientId')).to.equal('');
  });

  it('reads back a value set between Newman runs', () => {
    const env = new RunEnvironment({ clientId: '' });
    env.set('clientId', '0oa1');
    expect(env.get('clientId')).to.equal('0oa1');
  });

  it('hands a copy to a Newman run, so the run cannot change it behind its back', () => {
    const env = new RunEnvironment({ clientId: '0oa1' });
    env.values().clientId = 'changed';
    expect(env.get('clientId')).to.equal('0oa1');
  });

  it('writes through to the live scope while a Newman run is going', () => {
    const env = new RunEnvironment({ riskEvents: '[]' });
    const live = liveScope({ riskEvents: '[]' });
    env.bind(live);
    env.set('riskEvents', '[{"subjects":[]}]');
    expect(live.values.riskEvents).to.equal('[{"subjects":[]}]');
  });

  it("reads what the run's scripts set while a Newman run is going", () => {
    const env = new RunEnvironment({ clientId: '' });
    const live = liveScope({ clientId: '' });
    env.bind(live);
    live.values.clientId = '0oaFromScript';
    expect(env.get('clientId')).to.equal('0oaFromScript');
  });

  it("copies the live scope's variables, scripts' writes included, while a Newman run is going", () => {
    const env = new RunEnvironment({ clientId: '' });
    const live = liveScope({ clientId: '' });
    env.bind(live);
    live.values.clientId = '0oaFromScript';
    expect(env.values()).to.deep.equal({ clientId: '0oaFromScript' });
  });

  it('takes the values a Newman run ended with as the environment', () => {
    const env = new RunEnvironment({ clientId: '' });
    env.bind(liveScope({ clientId: '' }));
    env.unbind({ clientId: '0oaEnd', grantId: '0oagEnd' });
    expect([env.get('clientId'), env.get('grantId')]).to.deep.equal(['0oaEnd', '0oagEnd']);
  });
});
