/**
 * The journal of what a run changed on an org, written before each change is made, so an interrupted run
 * (Ctrl-C, kill -9, a crash, a lost connection) can be undone by `okta-risk cleanup`.
 *
 * One file per org (`<workDir>/state/<host>.json`), mode 0600 in a 0700 folder, replaced atomically
 * (write a temp file, then rename): a reader sees the old journal or the new one, never half of either.
 * Writes are synchronous on purpose: Newman's request events call them, and the next request must not be
 * sent before the journal says what the last one did.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HarnessError } from '../errors.ts';

export const JOURNAL_TOOL = 'okta-risk-harness';
export const JOURNAL_VERSION = 1;

export interface ProviderSettings {
  name: string;
  clientId: string;
  action: string;
}

export interface JournalData {
  tool: typeof JOURNAL_TOOL;
  version: typeof JOURNAL_VERSION;
  orgUrl: string;
  runId: string;
  pid: number;
  startedAt: string;
  /** The kid of the run's key: how a client created just before a crash is recognized as ours. */
  kid: string;
  providerName: string;
  /** The service app: `pending` from the moment the create call is sent until its id is known. */
  client?: { status: 'pending' } | { status: 'created'; id: string };
  /** The scope grant on that app. */
  grant?: { status: 'pending'; clientId: string } | { status: 'created'; clientId: string; id: string };
  /** The provider the run points at its app, with what it held before; `created` when the run made it. */
  provider?: { id: string; created: boolean; previous: ProviderSettings | null };
  /**
   * The SSF flow's Security Events Provider: `pending` from the moment the create call is sent (found again by
   * its issuer, unique to the run) until its id is known. Undone by deleting it.
   */
  securityEventsProvider?: { status: 'pending'; issuer: string } | { status: 'created'; id: string; issuer: string };
}

/** The state file for an org, e.g. `.runs/state/dev-123456.okta.com.json`. */
export function journalPath(workDir: string, orgUrl: string): string {
  const host = new URL(orgUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
  return join(workDir, 'state', `${host}.json`);
}

/** Where a kept run's private key goes: next to its journal (`<host>.private.jwk.json`), removed with it. */
export function keptKeyPath(journalFile: string): string {
  return journalFile.replace(/\.json$/, '') + '.private.jwk.json';
}

function writeAtomically(path: string, data: JournalData): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Writes a new journal only if none is there (link() refuses an existing name); false when one was. */
function writeExclusively(path: string, data: JournalData): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Whether a process of this machine with that id is alive. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads and checks a journal; a corrupt or foreign file is refused with nothing done. */
export function readJournal(path: string, expectedOrgUrl?: string): JournalData {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new HarnessError('ERR_STATE_INVALID', missing ? `There is no state file at ${path}.` : `The state file ${path} is not valid JSON.`, {
      setting: '--state',
      fix: missing
        ? 'nothing to clean up for this org, or pass --state with the file an interrupted run left.'
        : 'it was not written by okta-risk-harness or is damaged; inspect it, undo its changes by hand in the Admin Console, then delete it.',
    });
  }
  const j = data as Partial<JournalData>;
  const problems: string[] = [];
  if (j?.tool !== JOURNAL_TOOL) problems.push(`"tool" is not "${JOURNAL_TOOL}"`);
  if (j?.version !== JOURNAL_VERSION) problems.push(`"version" is not ${JOURNAL_VERSION}`);
  if (typeof j?.orgUrl !== 'string') problems.push('"orgUrl" is missing');
  if (typeof j?.kid !== 'string' || typeof j?.providerName !== 'string' || typeof j?.runId !== 'string') problems.push('"kid", "providerName" or "runId" is missing');
  if (j?.client && !['pending', 'created'].includes(j.client.status)) problems.push('"client.status" is unknown');
  if (j?.client?.status === 'created' && typeof j.client.id !== 'string') problems.push('"client.id" is missing');
  if (j?.grant && typeof j.grant.clientId !== 'string') problems.push('"grant.clientId" is missing');
  if (j?.provider && (typeof j.provider.id !== 'string' || typeof j.provider.created !== 'boolean')) problems.push('"provider" is malformed');
  const sep = j?.securityEventsProvider;
  if (sep && (typeof sep.issuer !== 'string' || !['pending', 'created'].includes(sep.status) || (sep.status === 'created' && typeof sep.id !== 'string'))) {
    problems.push('"securityEventsProvider" is malformed');
  }
  if (problems.length > 0) {
    throw new HarnessError('ERR_STATE_INVALID', `The state file ${path} is not an okta-risk-harness journal: ${problems.join('; ')}.`, {
      setting: '--state',
      fix: 'nothing was done; check the file (it may belong to another tool) and undo its changes by hand if needed.',
    });
  }
  if (expectedOrgUrl && j.orgUrl !== expectedOrgUrl) {
    throw new HarnessError('ERR_STATE_INVALID', `The state file ${path} is for ${j.orgUrl}, not ${expectedOrgUrl}.`, {
      setting: '--state',
      fix: `run cleanup against ${j.orgUrl}, or pass the state file of ${expectedOrgUrl}.`,
    });
  }
  return j as JournalData;
}

/** A live journal: every change is on disk before the method returns. */
export class Journal {
  readonly path: string;
  #data: JournalData;

  private constructor(path: string, data: JournalData) {
    this.path = path;
    this.#data = data;
  }

  /**
   * Refuses, naming it, when another run's journal for the org is in this folder: one still running (its
   * process is alive), or one that did not finish cleaning up. Called before anything is created.
   */
  static assertNoOtherRun(path: string, orgUrl: string): void {
    if (!existsSync(path)) return;
    let other: Partial<JournalData> = {};
    try {
      other = JSON.parse(readFileSync(path, 'utf8')) as Partial<JournalData>;
    } catch {
      // Unreadable: named by its path alone.
    }
    const run = typeof other.runId === 'string' ? `run ${other.runId}${typeof other.startedAt === 'string' ? `, started ${other.startedAt}` : ''}` : undefined;
    if (typeof other.pid === 'number' && processAlive(other.pid)) {
      throw new HarnessError('ERR_ORG_BUSY', `Another verify run is still running against ${orgUrl} from this folder (${run ?? 'a run'}, pid ${other.pid}; ${path}).`, {
        setting: '--work-dir',
        fix: 'wait for it to end; if its process is gone (the pid was reused), run `okta-risk cleanup` to undo what it left.',
      });
    }
    throw new HarnessError('ERR_STATE_INVALID', `An earlier run against ${orgUrl}${run ? ` (${run})` : ''} did not finish cleaning up (${path}).`, {
      setting: '--state',
      fix: 'run `npm run cleanup` (okta-risk cleanup) first, so that run\'s app, grant and provider change are undone.',
    });
  }

  /**
   * Starts a journal for a run; refuses when another run's journal is there. The file is created exclusively,
   * so of two runs starting at once from one folder only one gets it.
   */
  static begin(path: string, data: Omit<JournalData, 'tool' | 'version'>): Journal {
    Journal.assertNoOtherRun(path, data.orgUrl);
    const journal = new Journal(path, { tool: JOURNAL_TOOL, version: JOURNAL_VERSION, ...data });
    if (!writeExclusively(path, journal.#data)) Journal.assertNoOtherRun(path, data.orgUrl);
    return journal;
  }

  /** Opens an existing journal (for cleanup). */
  static open(path: string, expectedOrgUrl?: string): Journal {
    return new Journal(path, readJournal(path, expectedOrgUrl));
  }

  get data(): Readonly<JournalData> {
    return this.#data;
  }

  // The named transitions: every change a run makes to the org is one of these, written before it returns.
  // Each is a no-op when it does not apply (a grant created before its pending entry), so a hook may call it
  // on any answer without checking the journal first.

  /** The create-client call is about to be sent: from now on an app of this run may exist. */
  clientPending(): void {
    if (!this.#data.client) this.#update((j) => void (j.client = { status: 'pending' }));
  }

  /** The org answered with the app's id (or a check found the app a lost answer had made). */
  clientCreated(id: string): void {
    this.#update((j) => void (j.client = { status: 'created', id }));
  }

  /** The grant call is about to be sent to the app the journal records. */
  grantPending(): void {
    const client = this.#data.client;
    if (client?.status === 'created' && !this.#data.grant) this.#update((j) => void (j.grant = { status: 'pending', clientId: client.id }));
  }

  /** The org answered with the grant's id (or a check found it). */
  grantCreated(id: string): void {
    const grant = this.#data.grant;
    if (grant) this.#update((j) => void (j.grant = { status: 'created', clientId: grant.clientId, id }));
  }

  /** The run is about to change an existing provider; `previous` is what it held, to be restored. */
  providerTaken(id: string, previous: ProviderSettings): void {
    if (!this.#data.provider) this.#update((j) => void (j.provider = { id, created: false, previous }));
  }

  /** The run made a provider of its own (no provider was free): undone by deleting it. */
  providerCreated(id: string): void {
    this.#update((j) => void (j.provider = { id, created: true, previous: null }));
  }

  /** The create call for the SSF flow's provider is about to be sent, with the run's own issuer. */
  securityEventsProviderPending(issuer: string): void {
    if (!this.#data.securityEventsProvider) this.#update((j) => void (j.securityEventsProvider = { status: 'pending', issuer }));
  }

  /** The org answered with the provider's id (or a check found the provider a lost answer had made). */
  securityEventsProviderCreated(id: string): void {
    const entry = this.#data.securityEventsProvider;
    if (entry) this.#update((j) => void (j.securityEventsProvider = { status: 'created', id, issuer: entry.issuer }));
  }

  /** One change is undone (or found already gone): it leaves the journal. */
  undone(what: 'client' | 'grant' | 'provider' | 'securityEventsProvider'): void {
    if (this.#data[what]) this.#update((j) => delete j[what]);
  }

  #update(change: (data: JournalData) => void): void {
    const next = structuredClone(this.#data);
    change(next);
    this.#data = next;
    this.#flush();
  }

  /** True when nothing is left to undo. */
  get empty(): boolean {
    return !this.#data.client && !this.#data.grant && !this.#data.provider && !this.#data.securityEventsProvider;
  }

  /** Removes the file, and a kept run's key beside it: everything it recorded has been undone. */
  finish(): void {
    rmSync(this.path, { force: true });
    rmSync(keptKeyPath(this.path), { force: true });
  }

  #flush(): void {
    writeAtomically(this.path, this.#data);
  }
}
