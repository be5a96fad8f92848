import { BlockList, isIPv6 } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a listen address is reachable from this machine only (`localhost`, 127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  try {
    return LOOPBACK.check(host, isIPv6(host) ? 'ipv6' : 'ipv4');
  } catch {
    return false; // a host name other than localhost: it may resolve to anything
  }
}
