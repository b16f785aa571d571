import { expect } from 'chai';
import { runSend, sendSettings } from './helpers.ts';

const FIX = "Fix: correct those lines (see the README's send section for the formats), or pass --skip-invalid to send the valid signals and report the rest.";

async function dryRun(input: string, flags: Parameters<typeof sendSettings>[0] = {}) {
  return runSend(sendSettings({ dryRun: true, ...flags }), input);
}

describe('send input', () => {
  describe('formats', () => {
    it('reads a JSON array of events, each subject a signal with its event timestamp and expiresAt', async () => {
      const input = JSON.stringify([
        { timestamp: '2021-01-20T00:00:00.001Z', expiresAt: '2021-01-21T00:00:00.000Z', subjects: [{ ip: '1.1.1.1', riskLevel: 'HIGH', message: 'a' }, { ip: '6.7.6.7', riskLevel: 'LOW' }] },
        { subjects: [{ ip: '2001:db8::1', riskLevel: 'MEDIUM' }] },
      ]);
      const { result, out } = await dryRun(input);
      expect(result.exitCode).to.equal(0);
      expect(result.input?.counts).to.deep.equal({ HIGH: 1, MEDIUM: 1, LOW: 1 });
      expect(out.text).to.contain('1 calls for 3 signals (HIGH 1, MEDIUM 1, LOW 1); nothing was sent.');
    });

    it('reads NDJSON, one subject a line, blank lines skipped', async () => {
      const { result } = await dryRun('{"ip":"1.1.1.1","riskLevel":"HIGH","message":"x"}\n\n{"ip":"1.1.1.2","riskLevel":"LOW","timestamp":"2021-01-20T00:00:00Z"}\r\n');
      expect(result.exitCode).to.equal(0);
      expect(result.input?.counts).to.deep.equal({ HIGH: 1, MEDIUM: 0, LOW: 1 });
    });

    it('reads CSV with a header in any column order, quoted fields and empty cells as absent fields', async () => {
      const { result } = await dryRun('riskLevel,ip,message,timestamp\nHIGH,1.1.1.1,"quoted, fine",\nLOW,1.1.1.2,,2021-01-20T00:00:00Z\n');
      // A comma is not in Okta's message pattern: the quoted field is read, then refused by the rules.
      expect(result.error?.message).to.contain("line 2, message: may contain only letters, digits, spaces, '.', '-' and '_'");
      const ok = await dryRun('riskLevel,ip,message,timestamp\nHIGH,1.1.1.1,"quoted fine",\nLOW,1.1.1.2,,2021-01-20T00:00:00Z\n');
      expect(ok.result.exitCode).to.equal(0);
      expect(ok.result.input?.counts).to.deep.equal({ HIGH: 1, MEDIUM: 0, LOW: 1 });
    });

    it('reads a JSON array split into one-character chunks, brackets and escaped quotes inside strings included', async () => {
      const { Readable } = await import('node:stream');
      const text = JSON.stringify([{ subjects: [{ ip: '1.1.1.1', riskLevel: 'HIGH', message: 'a ] } " [ {' }] }, { subjects: [{ ip: '1.1.1.2', riskLevel: 'LOW', message: 'b' }] }]);
      const { sendSignals } = await import('../../src/send/send-signals.ts');
      const { sink } = await import('../integration/harness.ts');
      const settings = sendSettings({ dryRun: true, skipInvalid: true });
      const result = await sendSignals({ settings, stdin: Readable.from(text.split('')), streams: { out: sink(), err: sink() } });
      // The first event is read whole (and refused for its message); the second is found after it.
      expect(result.input?.issues).to.deep.equal([{ line: 1, field: '[0].subjects[0].message', message: "may contain only letters, digits, spaces, '.', '-' and '_'" }]);
      expect(result.input?.total).to.equal(1);
      expect(result.input?.counts.LOW).to.equal(1);
    });

    it('takes --format over detection', async () => {
      const { result } = await dryRun('{"ip":"1.1.1.1","riskLevel":"HIGH"}\n', { format: 'csv' });
      expect(result.exitCode).to.equal(2);
      expect(result.error?.message).to.contain('line 1, header "{\\"ip\\":\\"1.1.1.1\\"": is not a signal field');
    });
  });

  describe('validation', () => {
    it('names the line and field of every NDJSON problem and sends nothing', async () => {
      const input = '{"ip":"1.1.1.1","riskLevel":"HIGH"}\n{"ip":"1.1.1.x","riskLevel":"HIGH"}\n{"ip":"1.1.1.3","riskLevel":"SEVERE"}\n{"ip":"1.1.1.4","riskLevel":"LOW","extra":1}\nnot json\n';
      const { result } = await dryRun(input);
      expect(result.exitCode).to.equal(2);
      expect(result.error?.code).to.equal('ERR_EVENTS_INVALID');
      expect(result.error?.describe()).to.equal(
        [
          'stdin (no --input) has 4 problems; nothing was sent:',
          '  line 2, ip: must be an IPv4 or IPv6 address',
          '  line 3, riskLevel: must be one of LOW, MEDIUM, HIGH',
          '  line 4, extra: is not a signal field; the fields are ip, riskLevel, message, timestamp, expiresAt',
          `  line 5, line: is not valid JSON (Unexpected token 'o', "not json" is not valid JSON)`,
          FIX,
        ].join('\n'),
      );
    });

    it('names the line and the event path of a JSON array problem', async () => {
      const input = '[\n  {"subjects": [{"ip": "1.1.1.1", "riskLevel": "HIGH"}]},\n  {"timestamp": "yesterday",\n   "subjects": [{"ip": "1.1.1.2", "riskLevel": "HIGH"}]}\n]\n';
      const { result } = await dryRun(input);
      expect(result.error?.message).to.equal('stdin (no --input) has 1 problem; nothing was sent:\n  line 3, [1].timestamp: must be an ISO 8601 date-time such as 2021-01-20T00:00:00.001Z');
    });

    it('refuses an expiresAt before its timestamp', async () => {
      const { result } = await dryRun('{"ip":"1.1.1.1","riskLevel":"HIGH","timestamp":"2021-01-20T00:00:00.001Z","expiresAt":"2021-01-19T00:00:00.000Z"}\n');
      expect(result.exitCode).to.equal(2);
      expect(result.error?.message).to.equal('stdin (no --input) has 1 problem; nothing was sent:\n  line 1, expiresAt: must be after timestamp');
    });

    it('accepts an expiresAt after its timestamp', async () => {
      const { result } = await dryRun('{"ip":"1.1.1.1","riskLevel":"HIGH","timestamp":"2021-01-20T00:00:00.001Z","expiresAt":"2021-01-20T00:00:00.002Z"}\n');
      expect(result.exitCode).to.equal(0);
      expect(result.input?.total).to.equal(1);
    });

    it('refuses an IPv6 address with a zone index', async () => {
      const { result } = await dryRun('{"ip":"fe80::1%eth0","riskLevel":"HIGH"}\n');
      expect(result.exitCode).to.equal(2);
      expect(result.error?.message).to.equal('stdin (no --input) has 1 problem; nothing was sent:\n  line 1, ip: must be an IPv4 or IPv6 address');
    });

    it('accepts a link-local IPv6 address without a zone index', async () => {
      const { result } = await dryRun('{"ip":"fe80::1","riskLevel":"HIGH"}\n');
      expect(result.exitCode).to.equal(0);
      expect(result.input?.total).to.equal(1);
    });

    it('refuses a JSON event with more than 50 subjects, naming its path', async () => {
      const subjects = Array.from({ length: 51 }, (_, i) => ({ ip: `1.1.1.${i}`, riskLevel: 'HIGH' }));
      const { result } = await dryRun(JSON.stringify([{ subjects }]));
      expect(result.error?.message).to.contain('line 1, [0].subjects: must contain at most 50 subjects, got 51');
    });

    it('names the CSV line of a row with the wrong number of fields', async () => {
      const { result } = await dryRun('ip,riskLevel\n1.1.1.1,HIGH\n1.1.1.2,LOW,extra\n');
      expect(result.error?.message).to.contain('line 3, line: has 3 fields; the header has 2');
    });

    it('refuses a CSV header without an ip column before reading any row', async () => {
      const { result } = await dryRun('address,riskLevel\n1.1.1.1,HIGH\n');
      expect(result.error?.message).to.equal(
        'stdin (no --input) has 2 problems; nothing was sent:\n  line 1, header "address": is not a signal field; the columns are ip, riskLevel, message, timestamp, expiresAt\n  line 1, header: has no ip column',
      );
    });

    it('refuses a JSON array that ends early, even with --skip-invalid', async () => {
      const { result } = await dryRun('[{"subjects":[{"ip":"1.1.1.1","riskLevel":"HIGH"}]}', { skipInvalid: true });
      expect(result.exitCode).to.equal(2);
      expect(result.error?.message).to.contain('line 1, the array: ends before its closing bracket');
    });

    it('with --skip-invalid sends the valid signals and reports what it skipped', async () => {
      const { result } = await dryRun('{"ip":"1.1.1.1","riskLevel":"HIGH"}\n{"ip":"1.1.1.x","riskLevel":"HIGH"}\n', { skipInvalid: true });
      expect(result.exitCode).to.equal(0);
      expect(result.input?.total).to.equal(1);
      expect(result.input?.invalidRecords).to.equal(1);
      expect(result.input?.issues).to.deep.equal([{ line: 2, field: 'ip', message: 'must be an IPv4 or IPv6 address' }]);
    });

    it('names a line longer than 1 MiB without holding it, and reads on', async () => {
      const long = `{"ip":"1.1.1.1","riskLevel":"HIGH","message":"${'a'.repeat(1 << 20)}"}`;
      const { result } = await dryRun(`${long}\n{"ip":"1.1.1.2","riskLevel":"LOW"}\n`, { skipInvalid: true });
      expect(result.input?.issues).to.deep.equal([{ line: 1, field: 'line', message: 'is longer than 1048576 characters' }]);
      expect(result.input?.total).to.equal(1);
    });

    it('refuses an input with no signal at all', async () => {
      const { result } = await dryRun('');
      expect(result.error?.message).to.equal('stdin (no --input) holds no valid signals; nothing was sent.');
    });

    it('names --input when the file cannot be read', async () => {
      const { result } = await runSend(sendSettings({ dryRun: true, input: '/nonexistent/signals.ndjson' }), undefined);
      expect(result.exitCode).to.equal(2);
      expect(result.error?.message).to.equal('--input /nonexistent/signals.ndjson cannot be read (ENOENT).');
    });
  });
});
