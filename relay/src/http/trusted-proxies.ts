import proxyAddr from '@fastify/proxy-addr';

/**
 * Whether the `hop`-th address of a request's chain may be believed about the one before it: hop 0
 * is the socket's peer, hop 1 the rightmost X-Forwarded-For entry, and so on (proxy-addr's trust
 * function, which fastify's `trustProxy` takes too, so HTTP and WebSocket upgrades agree).
 */
export type TrustFunction = (address: string, hop: number) => boolean;

/** Which proxies the relay believes about the client address (SEALCAM_TRUST_PROXY, parsed). */
export type TrustedProxies =
  /** Nobody: the socket's peer is the client. */
  | { readonly kind: 'off' }
  /** `hops` proxies always stand in front: the address that many hops from the right. */
  | { readonly kind: 'hops'; readonly hops: number }
  /** These addresses/CIDRs are proxies: the rightmost address that is not one of them. */
  | { readonly kind: 'addresses'; readonly addresses: readonly string[] };

export type TrustProxyRefusal = 'trust-all' | 'hop-count' | 'address';

/** SEALCAM_TRUST_PROXY is not a value the relay can use safely; the message says what to set. */
export class TrustProxyError extends Error {
  constructor(
    readonly reason: TrustProxyRefusal,
    message: string,
  ) {
    super(`SEALCAM_TRUST_PROXY: ${message}`);
    this.name = 'TrustProxyError';
  }
}

const MAX_HOPS = 16;

/**
 * Parses SEALCAM_TRUST_PROXY: "off" (or "false", or empty), a hop count (1-16), or a comma-separated
 * list of proxy addresses/CIDRs (also proxy-addr's names loopback, linklocal, uniquelocal). "true"
 * is refused: believing every X-Forwarded-For entry lets each client pick its own source address
 * (the leftmost entry is whatever it sent, an appending proxy adds the real one to its right).
 */
export function parseTrustProxy(value: string): TrustedProxies {
  const text = value.trim();
  if (text === '' || text === 'off' || text === 'false' || text === '0') return { kind: 'off' };
  if (text === 'true') {
    throw new TrustProxyError(
      'trust-all',
      '"true" is refused: it would take the leftmost X-Forwarded-For entry, which the client chooses. ' +
        'Give a hop count, the number of proxies in front of the relay (e.g. 1 for one load balancer ' +
        'that appends the client address), or their addresses/CIDRs (e.g. 10.0.0.0/8).',
    );
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) {
      throw new TrustProxyError('hop-count', `a hop count is 1 to ${MAX_HOPS}, not ${text}`);
    }
    return { kind: 'hops', hops };
  }
  const addresses = text.split(',').map((item) => item.trim());
  try {
    proxyAddr.compile(addresses);
  } catch (error) {
    throw new TrustProxyError(
      'address',
      `not off, a hop count or a list of addresses/CIDRs: ${(error as Error).message}`,
    );
  }
  return { kind: 'addresses', addresses };
}

/** The trust function for `proxies`, or false when none is trusted (fastify's `trustProxy: false`). */
export function trustFunction(proxies: TrustedProxies): TrustFunction | false {
  switch (proxies.kind) {
    case 'off':
      return false;
    case 'hops': {
      const { hops } = proxies;
      return (_address, hop) => hop < hops;
    }
    case 'addresses':
      return proxyAddr.compile([...proxies.addresses]);
  }
}
