/**
 * The names the shared Postman collection and its environment template use, as typed constants, so the
 * runner never spells a folder, request or variable by hand. `test/unit/collection.test.ts` checks the
 * collection file against these.
 */
import { packagePath } from '../package-root.ts';

/** The collection file teams import into Postman (v2.1.0 format). */
export const COLLECTION_FILE = packagePath('collections', 'okta-risk-provider.postman_collection.json');

/** Folder names, exactly as in the collection. */
export const FOLDERS = {
  createServiceApp: 'Create a service app for the risk provider',
  updateProvider: 'Update the default risk provider',
  testIntegration: 'Test the integration',
  confirmSystemLog: 'Confirm the risk events in the System Log',
  tearDown: 'Tear down',
} as const;
export type FolderName = (typeof FOLDERS)[keyof typeof FOLDERS];

/** The folders in collection order (the order Newman runs the requests of one run in). */
export const FOLDER_ORDER: readonly FolderName[] = [
  FOLDERS.createServiceApp,
  FOLDERS.updateProvider,
  FOLDERS.testIntegration,
  FOLDERS.confirmSystemLog,
  FOLDERS.tearDown,
];

/** Request names, exactly as in the collection (the first seven are the guide's own names). */
export const REQUESTS = {
  createClient: 'Admin: API to create OAuth service client (for the provider)',
  listClients: 'Admin: API to get all OAuth service clients',
  grantScope: 'Admin: API to grant scopes to the OAuth service client',
  listProviders: 'Admin: API to get all Provider Settings',
  updateProvider: 'Admin: API to Update Provider Settings',
  getAccessToken: 'Partner: API to get the access token',
  sendRiskEvents: 'Partner: API to send RiskEvents (Auth using access token)',
  findRiskSignal: 'Admin: API to find the risk signal in the System Log',
  restoreProvider: 'Admin: restore the provider settings',
  revokeGrant: 'Admin: revoke the scope grant',
  deactivateApp: 'Admin: deactivate the service app',
  deleteApp: 'Admin: delete the service app',
} as const;
export type RequestName = (typeof REQUESTS)[keyof typeof REQUESTS];

/** The requests of each folder, in collection order. */
export const FOLDER_REQUESTS: { readonly [F in FolderName]: readonly RequestName[] } = {
  [FOLDERS.createServiceApp]: [REQUESTS.createClient, REQUESTS.listClients, REQUESTS.grantScope],
  [FOLDERS.updateProvider]: [REQUESTS.listProviders, REQUESTS.updateProvider],
  [FOLDERS.testIntegration]: [REQUESTS.getAccessToken, REQUESTS.sendRiskEvents],
  [FOLDERS.confirmSystemLog]: [REQUESTS.findRiskSignal],
  [FOLDERS.tearDown]: [REQUESTS.restoreProvider, REQUESTS.revokeGrant, REQUESTS.deactivateApp, REQUESTS.deleteApp],
};

/** Environment variable names, in the template's order (Okta's `url` and `apikey` where Okta has them). */
export const VARIABLE_NAMES = [
  'url',
  'apikey',
  'providerName',
  'publicKey',
  'riskAction',
  'riskEvents',
  'clientId',
  'grantId',
  'providerId',
  'previousProviderName',
  'previousProviderClientId',
  'previousProviderAction',
  'clientAssertion',
  'clientPrivateKey',
  'accessToken',
  'dpopProof',
  'runStartedAt',
  'expectedSignalCount',
  'logPollAttempts',
  'logPollIntervalMs',
  'force',
  'retryOnRateLimit',
] as const;
export type VariableName = (typeof VARIABLE_NAMES)[number];

/** The same names as an object, for `VARIABLES.clientId`-style use. */
export const VARIABLES = Object.fromEntries(VARIABLE_NAMES.map((name) => [name, name])) as { readonly [V in VariableName]: V };

/** Variables typed "secret" in the environment; reports and logs must redact their values. */
export const SECRET_VARIABLES = ['apikey', 'clientAssertion', 'clientPrivateKey', 'accessToken', 'dpopProof'] as const satisfies readonly VariableName[];

/**
 * Variables the scripts keep for themselves and are not part of the template: the System Log poll's
 * attempt counter (removed once the poll ends) and the restore request's body (a request-local variable).
 */
export const SCRIPT_VARIABLES = {
  logPollAttemptsMade: 'logPollAttemptsMade',
  restoreProviderBody: 'restoreProviderBody',
} as const;

/** The risk provider actions Okta accepts (the shared contract's enum). */
export { RISK_PROVIDER_ACTIONS as RISK_ACTIONS, type RiskProviderAction as RiskAction } from '../okta/risk-providers.ts';

/** Assertion names the runner maps to its own errors (a failed one means the provider slot is taken). */
export const ASSERTIONS = {
  providerFound: 'A provider to update was found',
  providerFreeOrOurs: 'The provider is free or already ours',
  eventsAccepted: 'Status is 202 Accepted',
  signalCountMatches: 'The logged signal count equals expectedSignalCount',
} as const;
