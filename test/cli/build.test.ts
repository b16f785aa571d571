/**
 * The compiled CLI: bin/okta-risk.js runs dist/, and compiles src/ first when it changed since the last build.
 * The freshness rules are checked on a made-up package folder (no compiler); the start-ups on a copy of the
 * package (src/, bin/, tsconfigs, node_modules linked), so the real dist/ is never touched.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildPaths, staleness } from '../../bin/build.js';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { tmp } from '../integration/harness.ts';

const HOUR_MS = 3_600_000;

/** A package folder with src/a.ts, a tsconfig and a build stamped at `stampAt`; every file dated `filesAt`. */
function madeUpPackage(filesAt: Date, stampAt: Date): string {
  const root = tmp('build-rules');
  const { src, cli, stamp } = buildPaths(root);
  mkdirSync(join(src, 'sub'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  for (const file of [join(src, 'a.ts'), join(src, 'sub', 'b.ts'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), cli]) writeFileSync(file, '\n');
  for (const path of [join(src, 'a.ts'), join(src, 'sub', 'b.ts'), join(src, 'sub'), src, join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), cli]) utimesSync(path, filesAt, filesAt);
  writeFileSync(stamp, '\n');
  utimesSync(stamp, stampAt, stampAt);
  return root;
}

describe('the build in dist/', () => {
  const built = new Date(Date.now() - HOUR_MS);
  const before = new Date(built.getTime() - HOUR_MS);
  const after = new Date(built.getTime() + 60_000);

  it('is up to date when nothing in src/ or the tsconfigs is newer than its stamp', () => {
    expect(staleness(madeUpPackage(before, built))).to.equal(undefined);
  });

  it('is missing when dist/ has no compiled entry point', () => {
    const root = madeUpPackage(before, built);
    rmSync(buildPaths(root).cli);
    expect(staleness(root)).to.equal('there is no build in dist/ yet');
  });

  it('is missing when it was never stamped (a build that did not finish)', () => {
    const root = madeUpPackage(before, built);
    rmSync(buildPaths(root).stamp);
    expect(staleness(root)).to.equal('there is no build in dist/ yet');
  });

  it('is stale when a file in a folder of src/ is newer than its stamp', () => {
    const root = madeUpPackage(before, built);
    utimesSync(join(root, 'src', 'sub', 'b.ts'), after, after);
    expect(staleness(root)).to.equal('src/ changed since the last build');
  });

  it('is stale when a file was removed from src/ (its folder changed)', () => {
    const root = madeUpPackage(before, built);
    utimesSync(join(root, 'src', 'sub'), after, after);
    expect(staleness(root)).to.equal('src/ changed since the last build');
  });

  it('is stale when tsconfig.build.json is newer than its stamp', () => {
    const root = madeUpPackage(before, built);
    utimesSync(join(root, 'tsconfig.build.json'), after, after);
    expect(staleness(root)).to.equal('src/ changed since the last build');
  });

  it('is not made stale by a newer file in src/ that is not TypeScript', () => {
    const root = madeUpPackage(before, built);
    writeFileSync(join(root, 'src', 'notes.md'), '\n');
    utimesSync(join(root, 'src', 'notes.md'), after, after);
    utimesSync(join(root, 'src'), before, before);
    expect(staleness(root)).to.equal(undefined);
  });
});

describe('bin/okta-risk.js starting from a copy of the package', function () {
  // Each compile is a real tsc run over src/: seconds on a busy 2-core machine.
  this.timeout(180_000);
  let root: string;

  const start = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'okta-risk.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 170_000 });
  const build = () => spawnSync(process.execPath, [join(root, 'bin', 'build.js')], { cwd: root, encoding: 'utf8', timeout: 170_000 });

  before(() => {
    root = tmp('build-copy');
    for (const entry of ['bin', 'src', 'collections', 'environments', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(PACKAGE_ROOT, entry), join(root, entry), { recursive: true });
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(root, 'node_modules'));
  });

  it('compiles src/ into dist/ on its first start, says so on stderr, and runs the command', () => {
    const run = start('--help');
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^okta-risk <command> \[options\]/);
    expect(run.stderr).to.match(/^okta-risk: there is no build in dist\/ yet: compiling src\/ into dist\/ first \(npm run build\)…\nokta-risk: compiled src\/ into dist\/ in \d+\.\d s\n$/);
    expect(existsSync(join(root, 'dist', 'cli.js'))).to.equal(true);
  });

  it('starts without compiling when dist/ is up to date', () => {
    expect(build().status).to.equal(0);
    const stamped = statSync(buildPaths(root).stamp).mtimeMs;
    const run = start('--help');
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr).to.equal('');
    expect(statSync(buildPaths(root).stamp).mtimeMs).to.equal(stamped);
  });

  it('compiles again before running when a file in src/ changed since the last build', () => {
    expect(build().status).to.equal(0);
    const errors = join(root, 'src', 'errors.ts');
    // Saved after the build began (the stamp's time), not in the future: the new build starts later still.
    const now = new Date();
    expect(now.getTime()).to.be.greaterThan(statSync(buildPaths(root).stamp).mtimeMs);
    utimesSync(errors, now, now);
    const run = start('--help');
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/^okta-risk: src\/ changed since the last build: compiling src\/ into dist\/ first/);
    expect(staleness(root)).to.equal(undefined);
  });

  it('refuses to run a src/ that does not compile, with exit code 2, and leaves dist/ as it was', () => {
    const cli = join(root, 'src', 'cli.ts');
    const original = readFileSync(cli, 'utf8');
    try {
      writeFileSync(cli, `${original}\nexport const broken = ;\n`);
      const run = start('--help');
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stdout).to.equal('');
      expect(run.stderr).to.contain('error TS1109: Expression expected.');
      expect(run.stderr).to.contain(
        'Error [ERR_BUILD_FAILED]: src/ does not compile (tsc exited 1; its errors are above), so dist/ was not updated.\n' +
          'Fix: fix the syntax errors tsc names, or undo the change with git; `npm run build` compiles by hand.\n',
      );
      expect(staleness(root)).to.equal('src/ changed since the last build');
      expect(readFileSync(join(root, 'dist', 'cli.js'), 'utf8')).to.not.contain('broken');
    } finally {
      writeFileSync(cli, original);
    }
  });
});
