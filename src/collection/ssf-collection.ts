/**
 * The names the shared SSF receiver collection and its environment template use, as typed constants (the
 * Risk API collection's are in `collection.ts`). `test/unit/ssf-collection.test.ts` checks the file against them.
 */
import { packagePath } from '../package-root.ts';

/** The second shared collection: Okta's SSF receiver, the successor of the Risk APIs (Postman v2.1.0). */
export const SSF_COLLECTION_FILE = packagePath('collections', 'okta-ssf-receiver.postman_collection.json');

export const SSF_FOLDERS = {
  registerProvider: 'Register the security events provider',
  pushSets: 'Push security event tokens',
  confirmSystemLog: 'Confirm the security events in the System Log',
  tearDown: 'Tear down',
} as const;
export type SsfFolderName = (typeof SSF_FOLDERS)[keyof typeof SSF_FOLDERS];

export const SSF_REQUESTS = {
  createProvider: 'Admin: API to create a Security Events Provider',
  listProviders: 'Admin: API to get all Security Events Providers',
  activateProvider: 'Admin: API to activate the Security Events Provider',
  pushSet: 'Transmitter: API to push a Security Event Token',
  findEvents: 'Admin: API to find the security events in the System Log',
  deleteProvider: 'Admin: delete the Security Events Provider',
} as const;
export type SsfRequestName = (typeof SSF_REQUESTS)[keyof typeof SSF_REQUESTS];

/** The requests of each folder, in collection order. */
export const SSF_FOLDER_REQUESTS: { readonly [F in SsfFolderName]: readonly SsfRequestName[] } = {
  [SSF_FOLDERS.registerProvider]: [SSF_REQUESTS.createProvider, SSF_REQUESTS.listProviders, SSF_REQUESTS.activateProvider],
  [SSF_FOLDERS.pushSets]: [SSF_REQUESTS.pushSet],
  [SSF_FOLDERS.confirmSystemLog]: [SSF_REQUESTS.findEvents],
  [SSF_FOLDERS.tearDown]: [SSF_REQUESTS.deleteProvider],
};

/** Environment variable names, in the template's order. */
export const SSF_VARIABLE_NAMES = [
  'url',
  'apikey',
  'providerName',
  'providerType',
  'issuer',
  'jwksUrl',
  'providerId',
  'securityEventToken',
  'setsLeft',
  'subjectEmail',
  'runStartedAt',
  'expectedEventCount',
  'logPollAttempts',
  'logPollIntervalMs',
  'retryOnRateLimit',
] as const;
export type SsfVariableName = (typeof SSF_VARIABLE_NAMES)[number];

/** Typed "secret": the API token, and the SET (whoever holds an unsent one can push it in its 5-minute window). */
export const SSF_SECRET_VARIABLES = ['apikey', 'securityEventToken'] as const satisfies readonly SsfVariableName[];

/** The `type` the run registers its provider with (Okta: any string naming the transmitter's product). */
export const SSF_PROVIDER_TYPE = 'okta-risk-harness';

/** The System Log event type of an accepted SET's event about a known user. */
export const RECEIVE_EVENT_TYPE = 'security.events.provider.receive_event';
