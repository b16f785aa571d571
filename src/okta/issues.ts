/**
 * How the contract reports a broken rule: one `{field, message}` per rule, every one of them, never only the
 * first. The emulator answers them as Okta's `errorCauses` (`<field>: <message>`); the harness prints them
 * naming the setting or line at fault. Neutral: imports neither side.
 */

/** One failing rule: the field (a path from the checked value's root) and what is wrong with it. */
export interface Cause {
  field: string;
  message: string;
}

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `prefix.key`, or `key` alone at the root (an empty prefix). */
export function fieldPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

/** One cause per key of `object` outside `allowed`, named from `prefix`. */
export function unknownFieldCauses(object: Record<string, unknown>, allowed: readonly string[], prefix = ''): Cause[] {
  return Object.keys(object)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({ field: fieldPath(prefix, key), message: `is not a recognized field; allowed fields are ${allowed.join(', ')}` }));
}
