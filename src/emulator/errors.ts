/**
 * Okta's two error styles, with their catalog texts.
 *
 * - Management APIs answer with Okta's error object: `{errorCode, errorSummary, errorLink, errorId, errorCauses}`
 *   (catalog `error-codes.json`).
 * - OAuth endpoints answer with `{error, error_description}` (catalog `oauth2-error-codes.json`). As in
 *   node-oidc-provider, the public body carries only the catalog text; the precise reason goes to `detail`,
 *   which the emulator's log and the tests can read but the client never sees.
 *
 * The texts below are copied from Okta's catalogs; `test/emulator/catalog.test.ts` checks every one of them
 * against Okta's catalog files (vendored in `test/fixtures/catalogs/` from `shared/reference/catalogs/`).
 */
import { errorId } from './ids.ts';

/** Management API error codes the emulator answers with: HTTP status and catalog `errorSummary`. */
export const MANAGEMENT_ERRORS = {
  E0000001: { status: 400, summary: 'Api validation failed: {0}' },
  E0000003: { status: 400, summary: 'The request body was not well-formed.' },
  E0000005: { status: 403, summary: 'Invalid session' },
  E0000006: { status: 403, summary: 'You do not have permission to perform the requested action' },
  E0000007: { status: 404, summary: 'Not found: {0}' },
  E0000008: { status: 404, summary: 'The requested path was not found' },
  E0000009: { status: 500, summary: 'Internal Server Error' },
  E0000011: { status: 401, summary: 'Invalid token provided' },
  E0000020: { status: 400, summary: 'Bad request.' },
  E0000021: { status: 400, summary: 'Bad request.  Accept and/or Content-Type headers likely do not match supported values.' },
  E0000022: { status: 405, summary: 'The endpoint does not support the provided HTTP method' },
  E0000031: { status: 400, summary: 'Invalid search criteria.' },
  E0000047: { status: 429, summary: 'API call exceeded rate limit due to too many requests.' },
  E0000053: { status: 400, summary: 'Invalid SCIM filter.' },
  E0000056: { status: 403, summary: 'Delete application forbidden.' },
} as const;

export type ManagementErrorCode = keyof typeof MANAGEMENT_ERRORS;

/** The Okta error object, as every management error body carries it. */
export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: Array<{ errorSummary: string }>;
}

/** A management API error: thrown by a handler, rendered once by the server. */
export class OktaApiError extends Error {
  readonly status: number;
  readonly code: ManagementErrorCode;
  readonly summary: string;
  readonly causes: string[];
  readonly headers: Record<string, string>;

  /**
   * @param code the catalog code.
   * @param detail what replaces `{0}` in the catalog text; when the text has no `{0}`, `summary` overrides it
   *   only where Okta documents a more specific summary (for example the System Log's filter errors).
   */
  constructor(
    code: ManagementErrorCode,
    options: { detail?: string; summary?: string; causes?: string[]; headers?: Record<string, string> } = {},
  ) {
    const entry = MANAGEMENT_ERRORS[code];
    const summary = options.summary ?? entry.summary.replace('{0}', options.detail ?? '');
    super(summary);
    this.name = 'OktaApiError';
    this.status = entry.status;
    this.code = code;
    this.summary = summary;
    this.causes = options.causes ?? [];
    this.headers = options.headers ?? {};
  }

  body(): OktaErrorBody {
    return {
      errorCode: this.code,
      errorSummary: this.summary,
      errorLink: this.code,
      errorId: errorId(),
      errorCauses: this.causes.map((errorSummary) => ({ errorSummary })),
    };
  }
}

/** `400 E0000001` with one cause per failing field, Okta's usual validation shape. */
export function validationFailed(causes: Array<{ field: string; message: string }>): OktaApiError {
  const fields = [...new Set(causes.map((c) => c.field))].join(', ');
  return new OktaApiError('E0000001', {
    detail: fields,
    causes: causes.map((c) => `${c.field}: ${c.message}`),
  });
}

/** `404 E0000007` as Okta words it: `Not found: Resource not found: <id> (<Type>)`. */
export function resourceNotFound(id: string, type: string): OktaApiError {
  return new OktaApiError('E0000007', { detail: `Resource not found: ${id} (${type})` });
}

/**
 * OAuth error catalog entries the emulator uses, keyed by Okta's internal error code:
 * `[HTTP status, error, error_description]`.
 */
export const OAUTH_ERRORS = {
  invalid_client: [401, 'invalid_client', 'Client authentication failed. Either the client or the client credentials are invalid.'],
  missing_client_credentials: [401, 'invalid_client', 'No client credentials found.'],
  invalid_client_id: [401, 'invalid_client', "Invalid value for 'client_id' parameter."],
  unsupported_auth_method_client_creds: [401, 'invalid_client', 'Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.'],
  invalid_application_type_client_credentials: [401, 'invalid_client', "Only clients with 'application_type' of 'service' may use the client_credentials 'grant_type' with the Org Authorization Server."],
  client_assertion_invalid_issuer: [401, 'invalid_client', 'The issuer claim for client_assertion is not a valid client_id.'],
  client_assertion_invalid_subject: [401, 'invalid_client', 'The subject claim for client_assertion is not a valid client_id.'],
  client_assertion_invalid_audience: [401, 'invalid_client', 'The audience claim for client_assertion must be the endpoint invoked for the request.'],
  client_assertion_expiration_required: [401, 'invalid_client', "The client_assertion must contain the 'exp' claim as seconds since epoch."],
  client_assertion_expired_token: [401, 'invalid_client', 'The client_assertion token is expired.'],
  client_assertion_expires_too_far_in_future: [401, 'invalid_client', 'The client_assertion token has an expiration too far into the future.'],
  client_assertion_issued_at_in_future: [401, 'invalid_client', 'The client_assertion token must be issued before the current time.'],
  client_assertion_already_used: [401, 'invalid_client', 'The client_assertion token has already been used.'],
  client_assertion_invalid_signature: [401, 'invalid_client', 'The client_assertion signature is invalid.'],
  client_assertion_invalid_jwt: [401, 'invalid_client', 'The parsing of the client_assertion failed.'],
  client_assertion_invalid_kid: [401, 'invalid_client', 'The client_assertion JWT kid is invalid.'],
  client_assertion_invalid_signature_algorithm: [401, 'invalid_client', 'The client_assertion JWT signature algorithm is invalid.'],
  client_assertion_jwks_not_configured: [401, 'invalid_client', 'The client does not have a JWKSet configured, but the client_assertion requires one.'],
  client_assertion_type_invalid: [400, 'invalid_request', 'The client_assertion_type is invalid.'],
  client_assertion_invalid_jwks: [401, 'invalid_client', 'The client JWKSet is invalid.'],
  client_assertion_not_signed_with_signing_key: [401, 'invalid_client', 'The client_assertion JWT needs to be signed using a signing key.'],
  invalid_basic_auth_creds: [401, 'invalid_client', 'Found Authentication header but was not valid client credentials.'],
  multiple_client_credentials: [401, 'invalid_request', 'Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.'],
  invalid_dpop_proof_missing_header: [400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.'],
  invalid_dpop_proof: [400, 'invalid_dpop_proof', 'The DPoP proof JWT is invalid.'],
  invalid_dpop_proof_multiple_headers_not_allowed: [400, 'invalid_dpop_proof', 'Multiple DPoP proof JWT headers are not allowed.'],
  invalid_dpop_proof_invalid_type: [400, 'invalid_dpop_proof', "'typ' must be 'dpop+jwt' in the DPoP proof JWT."],
  invalid_dpop_proof_invalid_signature_algorithm: [400, 'invalid_dpop_proof', 'The DPoP proof JWT signature algorithm is invalid.'],
  invalid_dpop_proof_invalid_jwt: [400, 'invalid_dpop_proof', 'The DPoP proof JWT cannot be parsed.'],
  invalid_dpop_proof_invalid_signature: [400, 'invalid_dpop_proof', 'The DPoP proof JWT signature is invalid.'],
  invalid_dpop_proof_invalid_htm: [400, 'invalid_dpop_proof', "'htm' claim in the DPoP proof JWT is invalid."],
  invalid_dpop_proof_invalid_htu: [400, 'invalid_dpop_proof', "'htu' claim in the DPoP proof JWT is invalid."],
  invalid_dpop_proof_invalid_iat: [400, 'invalid_dpop_proof', "'iat' claim in the DPoP proof JWT is invalid."],
  invalid_dpop_proof_jwt_issued_in_future: [400, 'invalid_dpop_proof', 'The DPoP proof JWT is issued in the future.'],
  invalid_dpop_proof_jwt_too_old: [400, 'invalid_dpop_proof', 'The DPoP proof JWT is issued more than five minutes in the past.'],
  invalid_dpop_proof_jwt_expired: [400, 'invalid_dpop_proof', 'The DPoP proof JWT is expired.'],
  invalid_dpop_proof_invalid_jti: [400, 'invalid_dpop_proof', "'jti' claim in the DPoP proof JWT is invalid."],
  dpop_proof_already_used: [400, 'invalid_dpop_proof', 'The DPoP proof JWT has already been used.'],
  dpop_proof_invalid_ath: [400, 'invalid_dpop_proof', "'ath' claim in the DPoP proof does not match the presented access_token."],
  invalid_access_token_dpop_binding: [400, 'invalid_dpop_proof', 'The access_token is not bound to the provided DPoP proof.'],
  use_dpop_nonce: [400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof.'],
  dpop_proof_required_for_token: [400, 'invalid_request', 'The resource request requires a DPoP proof.'],
  dpop_authentication_scheme_required: [400, 'invalid_request', 'The resource request must use the DPoP authentication scheme when using a DPoP bound token.'],
  access_token_not_dpop_bound: [401, 'invalid_token', 'The presented access_token is not DPoP bound.'],
  client_credentials_in_query: [400, 'invalid_request', 'Client credentials cannot be supplied via query parameters.'],
  missing_token_request_parameter: [400, 'invalid_request', "The required parameter '{0}' is missing."],
  illegal_duplicated_parameters: [400, 'invalid_request', 'Duplicate parameter provided in request. Duplicated parameters: [{0}].'],
  token_request_missing_grant_type: [400, 'invalid_request', "The token request must specify a 'grant_type'. Valid values: [{0}]"],
  unsupported_grant_type: [400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server. Configured grant types: [{0}].'],
  unauthorized_client: [400, 'unauthorized_client', 'The client is not authorized to use the provided grant type. Configured grant types: [{0}].'],
  invalid_scope: [400, 'invalid_scope', 'The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.'],
  missing_scopes: [400, 'invalid_scope', 'No scopes were requested.'],
  openid_not_allowed_client_creds: [400, 'invalid_scope', "Cannot request 'openid' scopes using client credentials."],
  invalid_client_metadata: [400, 'invalid_client_metadata', 'Invalid request'],
  temporarily_unavailable: [400, 'temporarily_unavailable', 'The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server.'],
  invalid_request: [400, 'invalid_request', 'Invalid request'],
  access_token_insufficient_scopes: [403, 'insufficient_scope', 'The access token provided does not contain the required scopes.'],
} as const satisfies Record<string, readonly [number, string, string]>;

export type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

/** An OAuth error: public `{error, error_description}`, private `detail`. */
export class OAuthError extends Error {
  readonly status: number;
  readonly internalCode: OAuthErrorCode;
  readonly error: string;
  readonly description: string;
  /** Why exactly; for logs and tests only, never sent to the client. */
  readonly detail: string | undefined;
  readonly headers: Record<string, string>;
  /** Okta sends some OAuth errors (insufficient scope on a resource) in `WWW-Authenticate` only. */
  readonly bodyless: boolean;

  /**
   * @param args values for the catalog's `{0}` placeholder.
   * @param description replaces the catalog text only where Okta documents a field-specific text
   *   (`invalid_client_metadata`).
   */
  constructor(
    code: OAuthErrorCode,
    options: { detail?: string; arg?: string; description?: string; headers?: Record<string, string>; bodyless?: boolean } = {},
  ) {
    const [status, error, text] = OAUTH_ERRORS[code];
    const description = options.description ?? text.replace('{0}', options.arg ?? '');
    super(description);
    this.name = 'OAuthError';
    this.status = status;
    this.internalCode = code;
    this.error = error;
    this.description = description;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.bodyless = options.bodyless ?? false;
  }

  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}
