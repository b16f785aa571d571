/**
 * What a start of okta-risk loads: the compiled CLI in dist/, and for `--help` nothing a command needs only
 * to run (Newman, jose, Handlebars, the emulator, the verify runner). Every module the process loads is
 * recorded by a preload (test/fixtures/record-modules.mjs); the controls show the recorder sees the ES module
 * packages (jose), the CommonJS ones (Handlebars) and what CommonJS requires inside them (Newman).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { tmp } from '../integration/harness.ts';

const RECORDER = pathToFileURL(join(PACKAGE_ROOT, 'test', 'fixtures', 'record-modules.mjs')).href;
const BIN = join(PACKAGE_ROOT, 'bin', 'okta-risk.js');

/** What only running a command needs: none of it may load for help. */
const HEAVY = {
  newman: /\/node_modules\/newman\//,
  'postman-runtime': /\/node_modules\/postman-runtime\//,
  'newman-reporter-htmlextra': /\/node_modules\/newman-reporter-htmlextra\//,
  jose: /\/node_modules\/jose\//,
  handlebars: /\/node_modules\/handlebars\//,
  'the emulator': /\/(src|dist)\/emulator\//,
  'the verify runner': /\/(src|dist)\/run\//,
  'the send pipeline': /\/(src|dist)\/send\/(?!read-signals)/,
} as const;

/** Runs bin/okta-risk.js with the recorder; the exit code and every module URL it loaded, from the root. */
function loadedBy(args: string[], cwd = tmp('startup')): { status: number | null; output: string; modules: string[] } {
  const file = join(tmp('modules'), 'loaded.txt');
  const env: NodeJS.ProcessEnv = { ...process.env, RECORD_MODULES_FILE: file };
  for (const key of Object.keys(env)) if (key.startsWith('OKTA_CLIENT_')) delete env[key];
  const run = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  const root = pathToFileURL(PACKAGE_ROOT).href;
  const modules = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))].map((url) => url.replace(root, '/'));
  return { status: run.status, output: run.stdout + run.stderr, modules };
}

function heavyAmong(modules: string[]): string[] {
  return Object.entries(HEAVY).flatMap(([name, pattern]) => (modules.some((m) => pattern.test(m)) ? [name] : []));
}

describe('what okta-risk loads', function () {
  this.timeout(90_000);

  it('runs the compiled CLI from dist/, not the TypeScript in src/', () => {
    const { status, output, modules } = loadedBy(['--help']);
    expect(status, output).to.equal(0);
    expect(modules).to.include('/dist/cli.js');
    expect(modules.filter((m) => m.endsWith('.ts'))).to.deep.equal([]);
  });

  it('loads none of what a command needs only to run for okta-risk --help', () => {
    const { status, output, modules } = loadedBy(['--help']);
    expect(status, output).to.equal(0);
    expect(heavyAmong(modules)).to.deep.equal([]);
  });

  it('loads none of it for okta-risk verify --help either', () => {
    const { status, output, modules } = loadedBy(['verify', '--help']);
    expect(status, output).to.equal(0);
    expect(heavyAmong(modules)).to.deep.equal([]);
  });

  it('loads none of it to refuse a bad flag before anything runs', () => {
    const { status, output, modules } = loadedBy(['emulator', '--port', '70000']);
    expect(status, output).to.equal(2);
    expect(heavyAmong(modules)).to.deep.equal([]);
  });

  it('sees jose and Handlebars when a command uses them (env: a key pair and the environment template)', () => {
    const cwd = tmp('startup-env');
    const { status, output, modules } = loadedBy(['env', '--org-url', 'http://127.0.0.1:9', '--api-token', 'emulator-token', '--out', join(cwd, 'e.json')], cwd);
    expect(status, output).to.equal(0);
    expect(heavyAmong(modules)).to.deep.equal(['jose', 'handlebars']);
  });

  it('sees Newman, its runtime and the emulator when verify runs', () => {
    const { status, output, modules } = loadedBy(['verify', '--emulator', '--reporters', 'junit']);
    expect(status, output).to.equal(0);
    expect(heavyAmong(modules)).to.include.members(['newman', 'postman-runtime', 'jose', 'the emulator', 'the verify runner']);
  });
});
