#!/usr/bin/env -S node --
// @ts-check
// The `--` ends node's own options: Node 20 reads an `--env-file` anywhere on its command line as its own
// flag (nodejs/node#54232) and exits 9 before this file runs, so `okta-risk verify --env-file x` needs it.
// Runs the compiled CLI in dist/, compiling src/ first when it changed since the last build (bin/build.js).
import { BuildError, ensureBuilt } from './build.js';

let cli;
try {
  cli = ensureBuilt();
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  process.stderr.write(`Error [ERR_BUILD_FAILED]: ${error.message}\nFix: ${error.fix}\n`);
  process.exit(2);
}
/** @type {{ main(): Promise<void> }} */
const { main } = await import(cli);
await main();
