/**
 * Peer addresses that are this machine: development mode serves only these. IPv4 loopback is
 * the whole 127.0.0.0/8 block (RFC 1122 §3.2.1.3), which load generators use as extra source
 * addresses; IPv6 has one loopback address, ::1, and IPv4 peers may appear IPv4-mapped.
 */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
