/**
 * The state one verify run owns: the org it talks to, the journal of what it changed, the Postman environment
 * its Newman runs share, the redactor that knows its secrets, and its clock. Verify builds one per run and
 * hands it to everything that acts for the run; nothing else holds these, and nothing else writes the
 * environment (`env`) or registers secrets (`secret`).
 */
import { mintClientAssertion } from '../assertion/mint-client-assertion.ts';
import type { VariableName } from '../collection/collection.ts';
import type { VerifySettings } from '../config/settings.ts';
import type { ProviderKeyPair } from '../keys/index.ts';
import type { OrgClient } from '../org/org-client.ts';
import type { Journal } from '../state/journal.ts';
import { RunEnvironment, type EnvironmentMap } from './run-environment.ts';
import type { Redactor } from './redact.ts';

/** Time as the run sees it; tests pass the emulator's manual clock and a sleep that advances it. */
export interface RunClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface RunContextOptions {
  settings: VerifySettings;
  runId: string;
  orgUrl: string;
  org: OrgClient;
  journal: Journal;
  keys: ProviderKeyPair;
  redactor: Redactor;
  clock: RunClock;
  /** The Newman environment's first values. */
  environment: EnvironmentMap;
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** Where the run's own lines go (waits, retries): stderr. */
  log: (line: string) => void;
}

/** `K`: the run's collection's variable names (default: the Risk API collection's). */
export class RunContext<K extends string = VariableName> {
  readonly settings: VerifySettings;
  readonly runId: string;
  readonly orgUrl: string;
  readonly org: OrgClient;
  readonly journal: Journal;
  readonly keys: ProviderKeyPair;
  readonly redactor: Redactor;
  readonly clock: RunClock;
  /** The Postman environment every Newman run of this run reads and writes. */
  readonly env: RunEnvironment<K>;
  readonly signal: AbortSignal | undefined;
  readonly log: (line: string) => void;

  constructor(options: RunContextOptions) {
    this.settings = options.settings;
    this.runId = options.runId;
    this.orgUrl = options.orgUrl;
    this.org = options.org;
    this.journal = options.journal;
    this.keys = options.keys;
    this.redactor = options.redactor;
    this.clock = options.clock;
    this.env = new RunEnvironment<K>(options.environment);
    this.signal = options.signal;
    this.log = options.log;
  }

  /** Whether Ctrl-C was pressed. */
  get aborted(): boolean {
    return this.signal?.aborted === true;
  }

  /** Makes a value a secret of the run: from now on every report, log line and stdout write redacts it. */
  secret(value: string | undefined): void {
    this.redactor.add(value);
  }

  /** Mints a fresh client assertion for the run's app into `clientAssertion` (a jti is single-use). */
  async mintAssertion(this: RunContext): Promise<void> {
    const assertion = await mintClientAssertion({
      clientId: this.env.get('clientId'),
      orgUrl: this.orgUrl,
      privateKey: this.keys.privateJwk,
      kid: this.keys.kid,
      alg: this.keys.alg,
      currentDate: new Date(this.clock.now()),
    });
    this.secret(assertion);
    this.env.set('clientAssertion', assertion);
  }
}
