// @ts-check
/**
 * The compiled CLI in dist/: `tsc -p tsconfig.build.json` (src/ only, `.ts` import specifiers rewritten to
 * `.js`). The build strips the types without checking them (`noCheck`), as tsx did: `npm run typecheck` and
 * `npm test` check them, and an edit runs at once, type errors or not. `npm install` and `npm ci` run it through the `prepare` script, `npm run build` by hand; run as a
 * file it builds and exits. bin/okta-risk.js calls {@link ensureBuilt} on every start: when a file in src/
 * (or a tsconfig) is newer than the last build it compiles again before running, so an edit to src/ takes
 * effect on the next `npm run verify`, as it did when the CLI ran through tsx; a fresh build costs only a
 * walk over src/'s modification times.
 *
 * Plain JavaScript, so it runs with nothing but Node: it is what turns the TypeScript into something Node can
 * run.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The files of a build, for the package at `root`. */
export function buildPaths(root = ROOT) {
  const dist = join(root, 'dist');
  return {
    dist,
    src: join(root, 'src'),
    /** The compiled entry point. */
    cli: join(dist, 'cli.js'),
    /** Touched after each successful build, with the time the build started: what src/ is compared with. */
    stamp: join(dist, '.build-stamp'),
    tsconfig: join(root, 'tsconfig.build.json'),
    /** What the build reads besides src/: a change to either changes the output. */
    configs: [join(root, 'tsconfig.build.json'), join(root, 'tsconfig.json')],
    lock: join(dist, '.build-lock'),
    buildInfo: join(dist, '.tsbuildinfo'),
  };
}

/** How long a start waits for another process's build before giving up. */
const LOCK_WAIT_MS = 180_000;

/** A build that did not succeed; `message` is the line to show, tsc's own errors are already on stderr. */
export class BuildError extends Error {
  /** @param {string} message @param {string} fix */
  constructor(message, fix) {
    super(message);
    this.name = 'BuildError';
    this.fix = fix;
  }
}

/** The newest modification time (ms) of the build's inputs, or 0 when there is no src/ (a packed install). */
export function newestSourceMtime(root = ROOT) {
  const { src, configs } = buildPaths(root);
  if (!existsSync(src)) return 0;
  let newest = 0;
  for (const file of configs) if (existsSync(file)) newest = Math.max(newest, statSync(file).mtimeMs);
  // Folders too: deleting or renaming a file changes its folder's mtime.
  newest = Math.max(newest, statSync(src).mtimeMs);
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() ? entry.name.endsWith('.ts') : entry.isDirectory()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Why dist/ cannot be run as it is, or undefined when it is up to date with src/. */
export function staleness(root = ROOT) {
  const { cli, stamp } = buildPaths(root);
  if (!existsSync(cli) || !existsSync(stamp)) return 'there is no build in dist/ yet';
  if (newestSourceMtime(root) > statSync(stamp).mtimeMs) return 'src/ changed since the last build';
  return undefined;
}

/** @param {number} ms */
function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding dist/'s build lock, so two starts at once never compile over each other (one would
 * import a file the other is half way through writing). A lock whose holder has died is taken over.
 * @template T @param {() => T} fn @returns {T}
 */
function withBuildLock(fn) {
  const { dist, lock } = buildPaths();
  mkdirSync(dist, { recursive: true });
  const began = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // Taken a moment ago, pid not written yet.
      }
      if (Number.isInteger(holder) && !alive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - began > LOCK_WAIT_MS) {
        throw new BuildError(`another okta-risk process (pid ${holder}) has been compiling dist/ for over ${LOCK_WAIT_MS / 1000} s.`, `wait for it to end, or remove ${lock} if no such process runs.`);
      }
      sleep(100);
    }
  }
  try {
    const fd = openSync(join(lock, 'pid'), 'w');
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Compiles src/ into dist/ (incremental: files that did not change are not emitted again) and stamps it.
 * tsc's output goes to stderr, so a command's stdout stays its own.
 * @param {{ log?: (line: string) => void }} [options]
 */
export function build({ log = (line) => void process.stderr.write(`${line}\n`) } = {}) {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new BuildError('TypeScript is not installed, so src/ cannot be compiled into dist/.', 'run `npm install` (or `npm ci`) in the project folder; it installs TypeScript and builds.');
  }
  const { cli, stamp, tsconfig, buildInfo } = buildPaths();
  const started = Date.now();
  // With outputs gone but the incremental state left, tsc would think there is nothing to emit.
  if (!existsSync(cli)) rmSync(buildInfo, { force: true });
  const run = spawnSync(process.execPath, [tsc, '-p', tsconfig], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
  if (run.status !== 0) {
    throw new BuildError(`src/ does not compile (tsc exited ${run.status ?? run.signal}; its errors are above), so dist/ was not updated.`, 'fix the syntax errors tsc names, or undo the change with git; `npm run build` compiles by hand.');
  }
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
  // The build's start, not its end: a file saved while tsc ran is newer, so the next start compiles again.
  utimesSync(stamp, new Date(started), new Date(started));
  log(`okta-risk: compiled src/ into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Makes sure dist/ is up to date with src/, compiling it when not (and saying so on stderr), and returns the
 * compiled entry point.
 * @param {{ log?: (line: string) => void }} [options]
 */
export function ensureBuilt(options = {}) {
  const log = options.log ?? ((line) => void process.stderr.write(`${line}\n`));
  const { cli } = buildPaths();
  if (staleness() === undefined) return cli;
  withBuildLock(() => {
    // Another process may have built it while this one waited for the lock.
    const still = staleness();
    if (still === undefined) return;
    log(`okta-risk: ${still}: compiling src/ into dist/ first (npm run build)…`);
    build({ log });
  });
  return cli;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    withBuildLock(() => build());
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    process.stderr.write(`Error [ERR_BUILD_FAILED]: ${error.message}\nFix: ${error.fix}\n`);
    process.exitCode = 2;
  }
}
