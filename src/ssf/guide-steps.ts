/**
 * The SSF flow's steps as the HTML report lays them out: Okta's "Configure a shared signals receiver" guide,
 * transmitter side and admin side, each with the collection requests that carry it out (none: the runner).
 */
import { SSF_FOLDERS, SSF_REQUESTS, type SsfFolderName, type SsfRequestName } from '../collection/ssf-collection.ts';
import type { GuideStep } from '../report/report-view.ts';

export const SSF_GUIDE_STEPS: readonly GuideStep<SsfFolderName, SsfRequestName>[] = [
  {
    id: 'key',
    title: 'Create the transmitter’s signing key',
    folder: SSF_FOLDERS.registerProvider,
    requests: [],
    runner: 'Made by the runner (jose: RSA 2048, RS256, kid = its SHA-256 thumbprint), or loaded with --key. The private key never leaves this machine.',
  },
  {
    id: 'jwks',
    title: 'Publish the JWKS',
    folder: SSF_FOLDERS.registerProvider,
    requests: [],
    runner: 'Served by the runner on 127.0.0.1 as application/json for an org on this machine, or checked at --jwks-url (200, application/json, the key under its kid) before anything was created.',
  },
  { id: 'provider', title: 'Create a Security Events Provider (issuer and JWKS URL)', folder: SSF_FOLDERS.registerProvider, requests: [SSF_REQUESTS.createProvider, SSF_REQUESTS.listProviders] },
  { id: 'activate', title: 'Activate the provider', folder: SSF_FOLDERS.registerProvider, requests: [SSF_REQUESTS.activateProvider] },
  {
    id: 'set',
    title: 'Sign Security Event Tokens',
    folder: SSF_FOLDERS.pushSets,
    requests: [],
    runner: 'Signed by the runner (jose): typ secevent+jwt, RS256, iss = the provider’s issuer, aud = the org URL, a fresh jti, a user-risk-change event. A secret until sent: not shown.',
    doneWith: SSF_REQUESTS.pushSet,
  },
  { id: 'push', title: 'Push the SETs to Okta', folder: SSF_FOLDERS.pushSets, requests: [SSF_REQUESTS.pushSet] },
  { id: 'system-log', title: 'Confirm the security events in the System Log', folder: SSF_FOLDERS.confirmSystemLog, requests: [SSF_REQUESTS.findEvents] },
  { id: 'teardown', title: 'Tear down', folder: SSF_FOLDERS.tearDown, requests: [SSF_REQUESTS.deleteProvider] },
];

/** Why the push call's bodies are not in the report. */
export const SSF_BODIES_HIDDEN = 'The bodies of this call are not shown: the request carries a signed security event token.';

/** The HTML report's title and masthead for the SSF flow. */
export const SSF_REPORT_HEADING = { title: 'Okta SSF receiver verification', eyebrow: 'Okta Shared Signals (SSF) receiver integration' };
