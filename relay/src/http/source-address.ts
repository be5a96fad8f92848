import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import proxyAddr from '@fastify/proxy-addr';
import type { TrustFunction } from './trusted-proxies.js';

/** The eight 16-bit groups of an IPv6 address (without a zone), or null if it is not one. */
function groups(address: string): number[] | null {
  if (!isIPv6(address)) return null;
  let text = address.split('%')[0] ?? '';
  // An embedded IPv4 tail (e.g. ::ffff:1.2.3.4) becomes two groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(zeros).fill('0'), ...right].map((group) => Number.parseInt(group, 16));
}

/**
 * The source an address counts as for per-source limits: an IPv4 address (also when IPv4-mapped)
 * as itself; an IPv6 address by its first `ipv6Prefix` bits, since one subscriber usually holds a
 * whole /64 and could otherwise appear as 2^64 sources. Anything else is 'unknown' (never a
 * free-form string: sources are keys of bounded maps, and must be short and not chosen by a client).
 */
export function sourceOf(address: string | undefined, ipv6Prefix: number): string {
  if (!address) return 'unknown';
  if (isIPv4(address)) return address;
  const parts = groups(address);
  if (!parts) return 'unknown';
  if (parts.slice(0, 5).every((group) => group === 0) && parts[5] === 0xffff) {
    const [high = 0, low = 0] = parts.slice(6);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  const kept = parts.map((group, index) => {
    const bits = Math.min(16, Math.max(0, ipv6Prefix - index * 16));
    return bits === 0 ? 0 : group & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${kept.map((group) => group.toString(16)).join(':')}/${ipv6Prefix}`;
}

/** What proxy-addr reads of a request. */
export interface RawRequest {
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/**
 * The client address of a request: the socket's peer, or, with trusted proxies, the address
 * proxy-addr resolves from X-Forwarded-For (the rightmost one not vouched for by a trusted hop; the
 * same rule fastify applies for `request.ip`). A resolved value that is not an IP address (a proxy
 * that wrote something else) counts as the socket's peer.
 */
export function clientAddress(request: RawRequest, trust: TrustFunction | false): string | undefined {
  const peer = request.socket.remoteAddress;
  if (!trust) return peer;
  const resolved = proxyAddr.all(request as unknown as IncomingMessage, trust).at(-1);
  return resolved && isIP(resolved) ? resolved : peer;
}

/** The source of a raw request (a WebSocket upgrade, which has no fastify request.ip). */
export function requestSource(request: RawRequest, trust: TrustFunction | false, ipv6Prefix: number): string {
  return sourceOf(clientAddress(request, trust), ipv6Prefix);
}

/**
 * The source of a fastify request: its `ip` (resolved by fastify with the same trust function), or
 * the socket's peer when that is not an IP address.
 */
export function sourceOfRequest(
  request: { ip: string; socket: { remoteAddress?: string | undefined } },
  config: { ipv6SourcePrefix: number },
): string {
  const address = isIP(request.ip) ? request.ip : request.socket.remoteAddress;
  return sourceOf(address, config.ipv6SourcePrefix);
}

/**
 * Tags a source for what the store keeps per device (its home, fair-share.ts): a keyed digest, so
 * the store never holds client addresses, yet every relay process sharing `key` (the token secret)
 * gives one address the same tag.
 */
export function sourceTagger(key: Uint8Array): (source: string) => string {
  return (source) =>
    createHmac('sha256', key)
      .update('sealcam relay source tag\0')
      .update(source)
      .digest('base64url')
      .slice(0, 22);
}
