import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestSource, sourceOf } from '../src/http/source-address.js';

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

  it('X-Forwarded-For names the source only with trustProxy', () => {
    const request = {
      headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' },
      socket: { remoteAddress: '10.0.0.1' },
    };
    assert.equal(requestSource(request, true, 64), '203.0.113.9');
    assert.equal(requestSource(request, false, 64), '10.0.0.1');
  });
});
