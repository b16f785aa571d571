#!/usr/bin/env -S node --
// The `--` ends node's own options: Node 20 reads an `--env-file` anywhere on its command line as its own
// flag (nodejs/node#54232) and exits 9 before this file runs, so `okta-risk verify --env-file x` needs it.
// Runs the TypeScript CLI through tsx's loader, so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main();
