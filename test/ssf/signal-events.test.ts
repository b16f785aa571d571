/** One of send's IP risk signals as the SSF event Okta's receiver takes for it (user-risk-change). */
import { expect } from 'chai';
import { eventProblems, eventTypeRule } from '../../src/okta/ssf.ts';
import { PREVIOUS_LEVEL, USER_RISK_CHANGE, userRiskChangeEvents } from '../../src/ssf/signal-events.ts';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const now = (): number => NOW;
const options = { email: 'jane.doe@example.com', now };

describe('userRiskChangeEvents', () => {
  it('names the run’s user by email, inside the event', () => {
    const events = userRiskChangeEvents({ ip: '123.4.5.6', riskLevel: 'HIGH' }, options);
    expect(events[USER_RISK_CHANGE]!.subject).to.deep.equal({ user: { format: 'email', email: 'jane.doe@example.com' } });
  });

  it('lowers the signal’s level into current_level, from previous_level none', () => {
    const event = userRiskChangeEvents({ ip: '123.4.5.6', riskLevel: 'MEDIUM' }, options)[USER_RISK_CHANGE]!;
    expect({ current: event.current_level, previous: event.previous_level }).to.deep.equal({ current: 'medium', previous: PREVIOUS_LEVEL });
  });

  it('takes event_timestamp in seconds from the signal’s timestamp', () => {
    const event = userRiskChangeEvents({ ip: '123.4.5.6', riskLevel: 'LOW', timestamp: '2026-11-28T11:59:30.123456789Z' }, options)[USER_RISK_CHANGE]!;
    expect(event.event_timestamp).to.equal(NOW / 1000 - 30);
  });

  it('takes event_timestamp from the clock when the signal has none', () => {
    const event = userRiskChangeEvents({ ip: '123.4.5.6', riskLevel: 'LOW' }, options)[USER_RISK_CHANGE]!;
    expect(event.event_timestamp).to.equal(NOW / 1000);
  });

  it('puts the message and IP into reason_admin', () => {
    const event = userRiskChangeEvents({ ip: '123.4.5.6', riskLevel: 'HIGH', message: 'Impossible travel' }, options)[USER_RISK_CHANGE]!;
    expect(event.reason_admin).to.deep.equal({ en: 'Impossible travel (IP 123.4.5.6)' });
  });

  it('says the IP and level in reason_admin when the signal has no message', () => {
    const event = userRiskChangeEvents({ ip: '123.4.5.6', riskLevel: 'HIGH' }, options)[USER_RISK_CHANGE]!;
    expect(event.reason_admin).to.deep.equal({ en: 'IP 123.4.5.6 is HIGH risk' });
  });

  for (const riskLevel of ['HIGH', 'MEDIUM', 'LOW'] as const) {
    it(`makes a ${riskLevel} signal an event Okta's rules accept`, () => {
      const event = userRiskChangeEvents({ ip: '123.4.5.6', riskLevel, message: 'm' }, options)[USER_RISK_CHANGE];
      expect(eventProblems(eventTypeRule(USER_RISK_CHANGE)!, event)).to.deep.equal([]);
    });
  }
});
