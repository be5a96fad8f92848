import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairingCodeFromHash, recogniseCode, sameOrigin } from '../web/src/codes.js';

test('a pairing code, bare or as a link, with stray spaces and line breaks', () => {
  assert.deepEqual(recogniseCode('  SCP1-ABCD-EFGH \n'), { kind: 'pairing', code: 'SCP1-ABCD-EFGH' });
  assert.deepEqual(recogniseCode('scp1-abcd efgh'), { kind: 'pairing', code: 'scp1-abcdefgh' });
  assert.deepEqual(recogniseCode('https://relay.example:8443/pair#SCP1-ABCD'), {
    kind: 'pairing',
    code: 'SCP1-ABCD',
    origin: 'https://relay.example:8443',
  });
  assert.deepEqual(recogniseCode('http://127.0.0.1:8080/pair#SCP1%2DABCD'), {
    kind: 'pairing',
    code: 'SCP1-ABCD',
    origin: 'http://127.0.0.1:8080',
  });
});

test('invites and share codes are told apart from pairing codes', () => {
  assert.equal(recogniseCode('SCI1-XYZ')?.kind, 'invite');
  assert.equal(recogniseCode('SCV1-XYZ')?.kind, 'share');
});

test('anything else is not a code', () => {
  for (const text of ['', '   ', 'SCP1-', 'hello', 'https://relay.example/pair', 'SCX1-ABC', '#'])
    assert.equal(recogniseCode(text), null, text);
});

test('the pairing code in a page fragment', () => {
  assert.equal(pairingCodeFromHash('#SCP1-ABCD'), 'SCP1-ABCD');
  assert.equal(pairingCodeFromHash('SCP1-ABCD'), 'SCP1-ABCD');
  assert.equal(pairingCodeFromHash(''), null);
  assert.equal(pairingCodeFromHash('#live'), null);
  assert.equal(pairingCodeFromHash('#SCI1-ABCD'), null);
});

test('same origin', () => {
  assert.ok(sameOrigin('http://127.0.0.1:8080', 'http://127.0.0.1:8080'));
  assert.ok(sameOrigin('https://relay.example/', 'https://relay.example'));
  assert.ok(!sameOrigin('http://localhost:8080', 'http://127.0.0.1:8080'));
  assert.ok(!sameOrigin('http://relay.example', 'https://relay.example'));
  assert.ok(!sameOrigin('not a url', 'https://relay.example'));
});
