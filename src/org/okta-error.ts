/** Okta's error object, read back into one line a person can act on. */

/**
 * `"E0000001 Api validation failed: name (name: a risk provider with this name already exists; choose another
 * name)"` from `{errorCode, errorSummary, errorCauses: [{errorSummary}]}`, or `{error, error_description}`
 * for OAuth errors. Undefined when the body is neither.
 */
export function describeOktaError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { errorCode?: unknown; errorSummary?: unknown; errorCauses?: unknown; error?: unknown; error_description?: unknown };
  if (typeof b.errorSummary === 'string') {
    const causes = Array.isArray(b.errorCauses)
      ? b.errorCauses.map((c: { errorSummary?: unknown }) => c?.errorSummary).filter((c): c is string => typeof c === 'string' && c !== '')
      : [];
    const code = typeof b.errorCode === 'string' ? `${b.errorCode} ` : '';
    return `${code}${b.errorSummary}${causes.length > 0 ? ` (${causes.join('; ')})` : ''}`;
  }
  if (typeof b.error === 'string') return typeof b.error_description === 'string' ? `${b.error}: ${b.error_description}` : b.error;
  return undefined;
}
