import { expect } from 'chai';
import { runCli } from '../../src/cli.ts';
import type { CommandContext } from '../../src/commands/context.ts';
import type { SendOptions, SendResult } from '../../src/send/send-signals.ts';
import { sink, tmp, type Sink } from '../integration/harness.ts';

function context(env: Record<string, string> = {}): CommandContext & { out: Sink; err: Sink } {
  return { cwd: tmp('cli-send'), env, out: sink(), err: sink(), exitCode: 0, signal: new AbortController().signal } as CommandContext & { out: Sink; err: Sink };
}

async function parseSend(args: string[], env: Record<string, string> = {}) {
  const ctx = context(env);
  const calls: SendOptions[] = [];
  const { makeSendCommand } = await import('../../src/commands/send.ts');
  const yargs = (await import('yargs')).default;
  const fake = async (options: SendOptions): Promise<SendResult> => {
    calls.push(options);
    return { exitCode: 0, runId: 'r', target: options.settings.target.kind, via: options.settings.via, dryRun: options.settings.dryRun, elapsedMs: 0 };
  };
  await yargs(['send', ...args]).command(makeSendCommand(ctx, fake) as never).strict().exitProcess(false).fail(false).parseAsync();
  return { ctx, calls };
}

describe('okta-risk send command line', () => {
  it('parses an org, a client id from OKTA_CLIENT_CLIENTID and a key into settings, with no API token', async () => {
    const { ctx, calls } = await parseSend(['--org-url', 'https://dev-1.okta.com', '--key', 'k.json', '--input', 's.csv', '--skip-invalid'], { OKTA_CLIENT_CLIENTID: '0oaAbc123' });
    expect(ctx.exitCode).to.equal(0);
    expect(calls[0]!.settings.target).to.deep.include({ kind: 'org', orgUrl: 'https://dev-1.okta.com', clientId: '0oaAbc123' });
    expect(calls[0]!.settings.skipInvalid).to.equal(true);
  });

  it('targets the embedded emulator when no org is set', async () => {
    const { calls } = await parseSend(['--dry-run']);
    expect(calls[0]!.settings.target).to.deep.equal({ kind: 'emulator' });
  });

  it('refuses an org without a client id, exit code 2, naming the flag and the variable', async () => {
    const { ctx, calls } = await parseSend(['--org-url', 'https://dev-1.okta.com', '--key', 'k.json']);
    expect(calls).to.deep.equal([]);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.equal(
      'Error [ERR_SETTING_MISSING]: No client id for https://dev-1.okta.com.\nFix: set --client-id or OKTA_CLIENT_CLIENTID to the client id of the risk provider\'s service app (0oa…).\n',
    );
  });

  it('refuses an org without a key file, exit code 2', async () => {
    const { ctx } = await parseSend(['--org-url', 'https://dev-1.okta.com', '--client-id', '0oaAbc123']);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.contain('Error [ERR_SETTING_MISSING]: No private key for the service app 0oaAbc123.');
  });

  it('plans a dry run against an org with no credentials at all', async () => {
    const { ctx, calls } = await parseSend(['--org-url', 'https://dev-1.okta.com', '--dry-run']);
    expect(ctx.exitCode).to.equal(0);
    expect(calls[0]!.settings.target).to.deep.equal({ kind: 'org', orgUrl: 'https://dev-1.okta.com' });
  });

  it('runs a dry run end to end and prints "N calls"', async () => {
    const ctx = context();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${ctx.cwd}/s.ndjson`, '{"ip":"1.1.1.1","riskLevel":"HIGH"}\n');
    await runCli(['send', '--input', 's.ndjson', '--dry-run'], ctx);
    expect(ctx.exitCode).to.equal(0);
    expect(ctx.out.text).to.contain('1 calls for 1 signals (HIGH 1, MEDIUM 0, LOW 0); nothing was sent.');
  });

  it('exits 2 with the problems listed when the input is invalid', async () => {
    const ctx = context();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${ctx.cwd}/s.ndjson`, '{"ip":"1.1.1.1","riskLevel":"high"}\n');
    await runCli(['send', '--input', 's.ndjson'], ctx);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.contain('line 1, riskLevel: must be one of LOW, MEDIUM, HIGH');
    expect(ctx.err.text).to.contain('Result: NOTHING SENT (exit code 2)');
  });

  it('parses --via ssf with an issuer, a key and a user into SSF settings', async () => {
    const { ctx, calls } = await parseSend(['--via', 'ssf', '--org-url', 'https://dev-1.okta.com', '--issuer', 'https://t.example.com', '--key', 'k.json', '--subject-email', 'jane@example.com']);
    expect(ctx.exitCode).to.equal(0);
    expect(calls[0]!.settings.via).to.equal('ssf');
    expect(calls[0]!.settings.ssf).to.deep.equal({ issuer: 'https://t.example.com', subjectEmail: 'jane@example.com' });
  });

  it('refuses --via ssf to an org without --issuer, exit code 2, naming the flag and the variable', async () => {
    const { ctx, calls } = await parseSend(['--via', 'ssf', '--org-url', 'https://dev-1.okta.com', '--key', 'k.json', '--subject-email', 'jane@example.com']);
    expect(calls).to.deep.equal([]);
    expect(ctx.exitCode).to.equal(2);
    expect(ctx.err.text).to.contain('Error [ERR_SETTING_MISSING]: No issuer for --via ssf to https://dev-1.okta.com.\nFix: set --issuer or OKTA_SSF_ISSUER');
  });

  it('runs a --via ssf dry run end to end and prints "N SETs"', async () => {
    const ctx = context();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${ctx.cwd}/s.ndjson`, '{"ip":"1.1.1.1","riskLevel":"HIGH"}\n');
    await runCli(['send', '--via', 'ssf', '--input', 's.ndjson', '--dry-run'], ctx);
    expect(ctx.exitCode).to.equal(0);
    expect(ctx.out.text).to.contain('SET 1: user-risk-change high for admin@example.com (IP 1.1.1.1)\n1 SETs for 1 signals (HIGH 1, MEDIUM 0, LOW 0); nothing was sent.');
  });
});
