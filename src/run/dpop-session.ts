/**
 * DPoP for one run of verify: the run's DPoP key, the nonce the org handed out, and a fresh proof for every
 * partner request, put into the `dpopProof` variable right before Newman sends the request (the collection's
 * pre-request scripts turn it into the `DPoP` header, and the token into `Authorization: DPoP`).
 *
 * Newman cannot sign a proof, and a proof is single-use and, for a resource request, carries `ath` of a token
 * only known once the token request has answered; so the runner mints each proof right before its request,
 * Newman paused at the phase boundary (or between the runs of a retry). Every proof is a secret from the
 * moment it exists.
 *
 * DPoP is on from the start with `--dpop` (the runner binds the app, `bindAppToDpop`), or is switched on
 * when the org's token endpoint answers `use_dpop_nonce` or "The DPoP proof JWT header is missing." (the app
 * is DPoP-bound already, as Admin Console service apps are by default since 2024).
 */
import { dpopTokenAnswer, DPOP_NONCE_HEADER } from '../okta/dpop.ts';
import { DPOP_DETECTED_REASONS, dpopSwitchLine, generateDpopKey, mintDpopProof, type DpopKey } from '../dpop/mint-dpop-proof.ts';
import { HarnessError } from '../errors.ts';
import { describeOktaError } from '../org/okta-error.ts';
import type { OrgClient } from '../org/org-client.ts';
import type { RunEnvironment } from './run-environment.ts';
import type { Redactor } from './redact.ts';

/** How the run came to use DPoP, for the summary. */
export type DpopMode = { how: 'requested' } | { how: 'detected'; reason: string };

export interface DpopSessionOptions {
  /** True with `--dpop`. */
  enabled: boolean;
  orgUrl: string;
  now: () => number;
  redactor: Redactor;
  /** Where the switch to DPoP is announced (stderr). */
  log: (line: string) => void;
}

export class DpopSession {
  #enabled: boolean;
  #mode: DpopMode | undefined;
  #key: DpopKey | undefined;
  #nonce: string | undefined;
  readonly #o: DpopSessionOptions;

  private constructor(options: DpopSessionOptions, key: DpopKey) {
    this.#o = options;
    this.#enabled = options.enabled;
    this.#mode = options.enabled ? { how: 'requested' } : undefined;
    this.#key = key;
  }

  /** The key is made up front even without `--dpop` (an ES256 key takes a millisecond): a switch is synchronous. */
  static async start(options: DpopSessionOptions): Promise<DpopSession> {
    return new DpopSession(options, await generateDpopKey());
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** How the run uses DPoP; undefined while it does not. */
  get mode(): DpopMode | undefined {
    return this.#mode;
  }

  /** The key thumbprint the run's tokens are bound to (`cnf.jkt`). Public, not a secret. */
  get jkt(): string | undefined {
    return this.#key?.jkt;
  }

  /**
   * Reads a token answer as it arrives (synchronously, before its test script runs): keeps the nonce the org
   * hands out, and switches DPoP on when the org asks for it.
   */
  noteTokenAnswer(status: number, headers: Record<string, string>, body: string): void {
    const answer = dpopTokenAnswer(status, headers, body);
    if (answer === 'nonce') this.#nonce = headers[DPOP_NONCE_HEADER];
    if (answer === undefined || this.#enabled) return;
    const reason = DPOP_DETECTED_REASONS[answer];
    this.#enabled = true;
    this.#mode = { how: 'detected', reason };
    this.#o.log(dpopSwitchLine(reason));
  }

  /** Sets `dpopProof` for the next token request (with the org's nonce once known), or clears it. */
  async forTokenRequest(env: RunEnvironment): Promise<void> {
    env.set('dpopProof', this.#enabled ? await this.#mint('POST', `${this.#o.orgUrl}/oauth2/v1/token`) : '');
  }

  /** Sets `dpopProof` for the next resource request with the run's token (`ath`), or clears it. */
  async forResourceRequest(env: RunEnvironment, method: string, path: string): Promise<void> {
    env.set('dpopProof', this.#enabled ? await this.#mint(method, `${this.#o.orgUrl}${path}`, env.get('accessToken')) : '');
  }

  async #mint(htm: string, url: string, accessToken?: string): Promise<string> {
    if (!this.#key) throw new TypeError('the DPoP key was not made');
    const proof = await mintDpopProof({ key: this.#key, htm, url, nonce: accessToken === undefined ? this.#nonce : undefined, accessToken, currentDate: new Date(this.#o.now()) });
    this.#o.redactor.add(proof);
    return proof;
  }
}

/**
 * Binds the run's service app to DPoP the way Okta documents it: GET the app, set
 * `settings.oauthClient.dpop_bound_access_tokens` to true, PUT the whole app back (`okta.apps.manage`).
 * The app is the run's own and is deleted at teardown, so the binding needs no undo.
 */
export async function bindAppToDpop(org: OrgClient, clientId: string): Promise<void> {
  const path = `/api/v1/apps/${encodeURIComponent(clientId)}`;
  const fail = (step: string, status: number, body: unknown): HarnessError => {
    const cause = describeOktaError(body);
    return new HarnessError('ERR_RUN_BROKEN', `Binding the service app ${clientId} to DPoP failed: ${step} answered HTTP ${status}${cause ? `: ${cause}` : ''}.`, {
      fix: "fix what Okta names, or tick the app's \"Require Demonstrating Proof of Possession (DPoP) header in token requests\" in the Admin Console; or run verify without --dpop.",
    });
  };
  const current = await org.request<Record<string, unknown>>('GET', path);
  if (current.status !== 200 || typeof current.body !== 'object' || current.body === null) throw fail(`GET ${path}`, current.status, current.body);
  const app = current.body as { settings?: { oauthClient?: Record<string, unknown> } };
  if (typeof app.settings?.oauthClient !== 'object' || app.settings.oauthClient === null) {
    throw fail(`GET ${path} (no settings.oauthClient: not an OAuth app)`, current.status, undefined);
  }
  app.settings.oauthClient.dpop_bound_access_tokens = true;
  const replaced = await org.request<{ settings?: { oauthClient?: { dpop_bound_access_tokens?: unknown } } }>('PUT', path, app);
  if (replaced.status !== 200) throw fail(`PUT ${path}`, replaced.status, replaced.body);
  if (replaced.body?.settings?.oauthClient?.dpop_bound_access_tokens !== true) {
    throw fail(`PUT ${path} (the app came back with dpop_bound_access_tokens not true)`, replaced.status, undefined);
  }
}
