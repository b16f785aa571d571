/**
 * Okta's rules for risk providers (`/api/v1/risk/providers`, management OpenAPI 2025.08.0). Neutral: imports
 * neither side.
 */
import { RISK_PROVIDER_NAME_MAX, RISK_PROVIDERS_MAX } from './limits.ts';

/** `RiskProviderAction`, in the order the harness and the emulator list them. */
export const RISK_PROVIDER_ACTIONS = ['none', 'log_only', 'enforce_and_log'] as const;
export type RiskProviderAction = (typeof RISK_PROVIDER_ACTIONS)[number];

/** The spec's default action, which a PUT without `action` falls back to. */
export const DEFAULT_RISK_PROVIDER_ACTION: RiskProviderAction = 'log_only';

/** "A maximum of 3 providers can be created. By default, one risk provider is created by Okta." */
export const MAX_RISK_PROVIDERS = RISK_PROVIDERS_MAX;
/** `RiskProvider.name` maxLength. */
export const MAX_PROVIDER_NAME_LENGTH = RISK_PROVIDER_NAME_MAX;
/** The string the default provider carries as its `clientId` until an app is linked. */
export const UNLINKED_CLIENT_ID = 'null';

export function isRiskProviderAction(value: unknown): value is RiskProviderAction {
  return typeof value === 'string' && (RISK_PROVIDER_ACTIONS as readonly string[]).includes(value);
}
