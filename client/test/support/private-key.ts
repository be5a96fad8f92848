import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromBase64Url, importIdentity, ready, toBase64Url, toHex } from '@sealcam/protocol';

/**
 * Fails if any output holds the viewer's private keys (from its state file): the stored identity
 * string, or either secret key (Ed25519 seed, X25519 secret) in hex, base64url or base64.
 */
export async function assertNoPrivateKey(statePath: string, outputs: readonly string[]): Promise<void> {
  await ready();
  const stored = (JSON.parse(readFileSync(statePath, 'utf8')) as { identity: string }).identity;
  const identity = importIdentity(fromBase64Url(stored));
  const secrets = [identity.signSecretKey.subarray(0, 32), identity.boxSecretKey];
  const forms = [
    stored.slice(0, 32),
    ...secrets.flatMap((key) => [toHex(key), toBase64Url(key), Buffer.from(key).toString('base64')]),
  ];
  for (const [i, output] of outputs.entries())
    for (const form of forms) assert.ok(!output.includes(form), `output ${i} holds a private key`);
}
