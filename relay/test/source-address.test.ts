import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { requestSource, sourceOf, sourceOfRequest } from '../src/http/source-address.js';
import { parseTrustProxy, trustFunction } from '../src/http/trusted-proxies.js';

/** A raw request from socket peer `peer` carrying `forwarded` as X-Forwarded-For. */
function from(peer: string, forwarded?: string) {
  return {
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    socket: { remoteAddress: peer },
  };
}

const trust = (value: string) => trustFunction(parseTrustProxy(value));

describe('source addresses for per-source limits', () => {
  it('an IPv4 address is its own source, also when IPv4-mapped', () => {
    assert.equal(sourceOf('127.0.0.7', 64), '127.0.0.7');
    assert.equal(sourceOf('::ffff:127.0.0.7', 64), '127.0.0.7');
  });

  it('IPv6 addresses in one /64 are one source; another /64 is another; the prefix is configurable', () => {
    const a = sourceOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64);
    assert.equal(a, '2001:db8:1:2:0:0:0:0/64');
    assert.equal(sourceOf('2001:db8:1:2::1', 64), a);
    assert.equal(sourceOf('2001:db8:1:2::1%eth0', 64), a);
    assert.notEqual(sourceOf('2001:db8:1:3::1', 64), a);
    assert.equal(sourceOf('2001:db8:1:2ff::1', 56), '2001:db8:1:200:0:0:0:0/56');
    assert.equal(sourceOf('::1', 128), '0:0:0:0:0:0:0:1/128');
  });

  it('a value that is not an IP address is never a source of its own: it is "unknown"', () => {
    assert.equal(sourceOf('not-an-address', 64), 'unknown');
    assert.equal(sourceOf('x'.repeat(12_000), 64), 'unknown');
    assert.equal(sourceOf('203.0.113.9:4711', 64), 'unknown');
    assert.equal(sourceOf(undefined, 64), 'unknown');
  });

  it('without trusted proxies X-Forwarded-For is ignored: the socket peer is the source', () => {
    assert.equal(requestSource(from('10.0.0.1', '203.0.113.9'), trust('off'), 64), '10.0.0.1');
    assert.equal(requestSource(from('10.0.0.1', '203.0.113.9'), trust('false'), 64), '10.0.0.1');
  });

  it('a hop count of 1 takes the rightmost X-Forwarded-For entry (what an appending proxy adds), not the leftmost the client sent', () => {
    const one = trust('1');
    assert.equal(requestSource(from('10.0.0.1', '198.51.100.7, 203.0.113.9'), one, 64), '203.0.113.9');
    assert.equal(requestSource(from('10.0.0.1', '203.0.113.9'), one, 64), '203.0.113.9');
    // No header: the peer itself.
    assert.equal(requestSource(from('10.0.0.1'), one, 64), '10.0.0.1');
    // Two proxies: the address two hops from the right.
    const chain = from('10.0.0.2', '198.51.100.7, 203.0.113.9, 10.0.0.1');
    assert.equal(requestSource(chain, trust('2'), 64), '203.0.113.9');
  });

  it('a list of proxy CIDRs takes the rightmost address that is not a proxy; an untrusted peer is itself', () => {
    const proxies = trust('10.0.0.0/8, 192.0.2.1');
    assert.equal(
      requestSource(from('10.0.0.2', '198.51.100.7, 203.0.113.9, 10.0.0.1'), proxies, 64),
      '203.0.113.9',
    );
    assert.equal(requestSource(from('192.0.2.1', '198.51.100.7, 203.0.113.9'), proxies, 64), '203.0.113.9');
    // A client that reaches the relay directly cannot claim another address.
    assert.equal(requestSource(from('198.51.100.66', '203.0.113.9'), proxies, 64), '198.51.100.66');
    // IPv4-mapped peers match IPv4 proxy ranges.
    assert.equal(requestSource(from('::ffff:10.0.0.2', '203.0.113.9'), proxies, 64), '203.0.113.9');
  });

  it('a forwarded value that is not an IP address counts as the socket peer', () => {
    const one = trust('1');
    assert.equal(requestSource(from('10.0.0.1', 'x'.repeat(12_000)), one, 64), '10.0.0.1');
    assert.equal(requestSource(from('10.0.0.1', '203.0.113.9, unknown'), one, 64), '10.0.0.1');
    assert.equal(requestSource(from('10.0.0.1', '203.0.113.9:4711'), one, 64), '10.0.0.1');
    assert.equal(requestSource(from('10.0.0.1', 'garbage'), trust('10.0.0.0/8'), 64), '10.0.0.1');
    // fastify's request.ip, resolved alike, falls back the same way.
    assert.equal(
      sourceOfRequest({ ip: 'garbage', socket: { remoteAddress: '10.0.0.1' } }, { ipv6SourcePrefix: 64 }),
      '10.0.0.1',
    );
  });

  it('an HTTP request (fastify request.ip) and a WebSocket upgrade (requestSource) with the same headers and peer get the same source', async () => {
    const cases: [string, string | undefined][] = [
      ['10.0.0.1', '198.51.100.7, 203.0.113.9'],
      ['10.0.0.1', '203.0.113.9'],
      ['10.0.0.1', undefined],
      ['10.0.0.1', 'garbage'],
      ['10.0.0.1', '203.0.113.9, 2001:db8:1:2::5'],
      ['192.0.2.1', '198.51.100.7, 203.0.113.9, 10.0.0.3'],
      ['198.51.100.66', '203.0.113.9'],
    ];
    for (const setting of ['off', '1', '2', '10.0.0.0/8, 192.0.2.1']) {
      const proxies = trust(setting);
      const app = Fastify({ trustProxy: proxies });
      app.get('/', async (request) => ({
        http: sourceOfRequest(request, { ipv6SourcePrefix: 64 }),
        upgrade: requestSource(request.raw, proxies, 64),
      }));
      try {
        for (const [peer, forwarded] of cases) {
          const answer = await app.inject({
            method: 'GET',
            url: '/',
            remoteAddress: peer,
            headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
          });
          const { http, upgrade } = answer.json<{ http: string; upgrade: string }>();
          assert.equal(http, upgrade, `${setting}: ${peer} / ${forwarded}`);
          assert.equal(upgrade, requestSource(from(peer, forwarded), proxies, 64));
        }
      } finally {
        await app.close();
      }
    }
  });
});
