import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { tmp } from '../integration/harness.ts';

/** Resolves with the child's stdout once `pattern` appears in it (bounded by the test's timeout). */
function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (pattern.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${out}`)));
  });
}

describe('okta-risk as a process', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('runs the emulator, printing its org URL and admin token, and stops cleanly on Ctrl-C', async () => {
    child = spawn(process.execPath, ['bin/okta-risk.js', 'emulator', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await waitForOutput(child, /Press Ctrl-C to stop\./);
    const url = /org URL \(url\): +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const token = /API token \(apikey\): +(\S+)/.exec(out)?.[1];
    expect(url).to.be.a('string');
    const res = await fetch(`${url}/api/v1/risk/providers`, { headers: { authorization: `SSWS ${token}` } });
    expect(res.status).to.equal(200);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).to.equal(0);
  });

  it("says on Ctrl-C that the emulator stops, in its own words, not verify's teardown", async () => {
    child = spawn(process.execPath, ['bin/okta-risk.js', 'emulator', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    const out = await waitForOutput(child, /Press Ctrl-C to stop\./);
    const url = /org URL \(url\): +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).to.equal(0);
    expect(stderr).to.equal(`\nStopping the Okta org emulator at ${url}: its org, and everything runs made on it, are gone (press Ctrl-C again to quit at once).\n`);
  });

  it('reports a missing --env-file with the harness\'s exit code 2 when started as bin/okta-risk.js', () => {
    const missing = `${tmp('env-file')}/missing.env`;
    // Run as npx runs it: the file itself, through its #! line.
    const run = spawnSync(`${process.cwd()}/bin/okta-risk.js`, ['verify', '--env-file', missing], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stderr).to.equal(`Error [ERR_FILE_UNREADABLE]: --env-file ${missing} does not exist.\nFix: point --env-file at an existing file, or leave it out to read ./.env when there is one.\n`);
  });

  it('reports a missing --env-file with the harness\'s exit code 2 when started as npm run verify', () => {
    const missing = `${tmp('env-file')}/missing.env`;
    const run = spawnSync('npm', ['run', '--silent', 'verify', '--', '--env-file', missing], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stderr).to.contain(`Error [ERR_FILE_UNREADABLE]: --env-file ${missing} does not exist.`);
  });

  it('prints no ANSI escape codes when stdout is not a terminal, even with FORCE_COLOR set', () => {
    const cwd = tmp('plain');
    const run = spawnSync(process.execPath, [`${process.cwd()}/bin/okta-risk.js`, 'verify', '--reporters', 'cli', '--emulator'], {
      cwd,
      encoding: 'utf8',
      timeout: 50_000,
      env: { ...process.env, FORCE_COLOR: '3' },
    });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    // Newman's live reporter ran: its request lines are there, in plain text.
    expect(run.stdout).to.contain('Admin: API to create OAuth service client (for the provider)');
    expect(run.stdout + run.stderr).to.not.contain('\u001b');
  });

  it('runs verify end to end from the real entry point with exit code 0', () => {
    const cwd = tmp('process');
    const run = spawnSync(process.execPath, [`${process.cwd()}/bin/okta-risk.js`, 'verify', '--reporters', 'junit', '--emulator'], { cwd, encoding: 'utf8', timeout: 50_000 });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.contain('Result: PASSED (exit code 0)');
    expect(run.stdout).to.match(/JUnit {2}reports\/\d{8}T\d{6}Z-[0-9a-f]{6}\/junit\.xml/);
  });

  it('runs from a link to bin/okta-risk.js, as npx and npm link call it', async () => {
    const { symlinkSync } = await import('node:fs');
    const link = `${tmp('link')}/okta-risk`;
    symlinkSync(`${process.cwd()}/bin/okta-risk.js`, link);
    const run = spawnSync(process.execPath, [link, '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).to.equal(0);
    expect(run.stdout).to.contain('okta-risk <command> [options]');
  });
});
