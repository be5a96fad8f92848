import { createPrivateKey, sign } from 'node:crypto';
import { type Identity, type IdentityCard, sealManifest } from '@sealcam/protocol';
import { verifyManifest } from '@sealcam/protocol/relay-safe';

const SIGNATURE_PREFIX = Buffer.concat([Buffer.from('sealcam/v1/sig'), Buffer.of(0)]);
const SIG_BYTES = 64;
/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Signed manifests for any epoch at the cost of one signature each, as a flooding device would make
 * them: the recipient stanzas are wrapped once (for the first epoch) and reused, only the epoch and
 * the signature change. The relay can only check the signature and the public fields, which hold.
 */
export function manifestForger(device: Identity, recipients: IdentityCard[], streamId: string) {
  const now = Date.now();
  const template = Buffer.from(
    sealManifest({
      device,
      streamId,
      epoch: 0,
      notBefore: now - 1000,
      notAfter: now + 3_600_000,
      previous: null,
      recipients,
    }).bytes,
  );
  const body = template.subarray(0, template.length - SIG_BYTES);
  // version, kind, device id, stream id (length-prefixed), then the epoch (u32, big-endian).
  const epochOffset = 2 + 16 + 1 + Buffer.byteLength(streamId);
  const key = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8, Buffer.from(device.signSecretKey.subarray(0, 32))]),
    format: 'der',
    type: 'pkcs8',
  });
  const forge = (epoch: number): Uint8Array => {
    const forged = Buffer.from(body);
    forged.writeUInt32BE(epoch, epochOffset);
    const signature = sign(null, Buffer.concat([SIGNATURE_PREFIX, forged]), key);
    return new Uint8Array(Buffer.concat([forged, signature]));
  };
  // The forging is checked once, so the flood is made of manifests the relay must accept.
  if (verifyManifest(forge(7), device.card).epoch !== 7) throw new Error('manifest forging is broken');
  return forge;
}
