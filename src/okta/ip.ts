/**
 * IP addresses as Okta's risk events take them: "either an IPv4 or IPv6 address" (the spec's
 * `RiskEventSubject.ip`). Neutral: imports neither side.
 */
import { isIP } from 'node:net';

/** The cause text for a value that is not such an address. */
export const IP_MESSAGE = 'must be an IPv4 or IPv6 address';

/**
 * True for a dotted-quad IPv4 or an RFC 4291 IPv6 address (IPv4-mapped forms included). A zone index
 * (`fe80::1%eth0`) names an interface of the sender's own host, never a routable subject, so it is refused.
 */
export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0 && !value.includes('%');
}
