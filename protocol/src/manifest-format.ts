import { equalBytes, Reader, Writer } from './bytes.js';
import { HASH_BYTES, ID_BYTES, Kind, Label, PROTOCOL_VERSION, SIG_BYTES } from './constants.js';
import { fail } from './errors.js';
import { hash, u8, u32be } from './hash.js';
import { readHeader } from './header.js';
import type { IdentityCard } from './identity.js';
import { readRecipients, writeRecipients } from './recipients-format.js';
import { verifyBody } from './signature.js';
import { decodeStreamId, encodeStreamId } from './stream-id.js';
import type { Stanza } from './wrap.js';

/** Public fields of a key manifest; everything a relay may read. */
export interface ManifestFields {
  readonly deviceId: Uint8Array;
  readonly streamId: string;
  readonly epoch: number;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly previousHash: Uint8Array;
  readonly ephemeralPublicKey: Uint8Array;
  readonly stanzas: readonly Stanza[];
}

export interface ParsedManifest extends ManifestFields {
  readonly bytes: Uint8Array;
  readonly signedPart: Uint8Array;
  readonly signature: Uint8Array;
}

export function encodeManifestBody(fields: ManifestFields): Uint8Array {
  if (!Number.isInteger(fields.epoch) || fields.epoch < 0 || fields.epoch > 0xffffffff)
    fail('MALFORMED', 'epoch');
  if (fields.notAfter <= fields.notBefore) fail('MALFORMED', 'validity window is empty');
  const writer = new Writer()
    .u8(PROTOCOL_VERSION)
    .u8(Kind.KeyManifest)
    .bytes(fields.deviceId)
    .shortBytes(encodeStreamId(fields.streamId))
    .u32(fields.epoch)
    .u64(fields.notBefore)
    .u64(fields.notAfter)
    .bytes(fields.previousHash);
  writeRecipients(writer, fields.ephemeralPublicKey, fields.stanzas);
  return writer.finish();
}

/** Parses without verifying the signature. Safe on untrusted bytes; throws typed errors. */
export function parseManifest(bytes: Uint8Array): ParsedManifest {
  const reader = new Reader(bytes);
  readHeader(reader, Kind.KeyManifest);
  const deviceId = reader.bytes(ID_BYTES, 'device id').slice();
  const streamId = decodeStreamId(reader.shortBytes('stream id'));
  const epoch = reader.u32('epoch');
  const notBefore = reader.u64('not-before');
  const notAfter = reader.u64('not-after');
  if (notAfter <= notBefore) fail('MALFORMED', 'validity window is empty');
  const previousHash = reader.bytes(HASH_BYTES, 'previous hash').slice();
  const { ephemeralPublicKey, stanzas } = readRecipients(reader);
  const signedLength = reader.position;
  const signature = reader.bytes(SIG_BYTES, 'signature').slice();
  reader.end('key manifest');
  return {
    deviceId,
    streamId,
    epoch,
    notBefore,
    notAfter,
    previousHash,
    ephemeralPublicKey,
    stanzas,
    bytes: bytes.slice(),
    signedPart: bytes.slice(0, signedLength),
    signature,
  };
}

/** Parses and checks the device signature against the device's card (public key only). */
export function verifyManifest(bytes: Uint8Array, device: IdentityCard): ParsedManifest {
  const manifest = parseManifest(bytes);
  if (!equalBytes(manifest.deviceId, device.id)) fail('WRONG_DEVICE', 'key manifest');
  if (!verifyBody(device.signPublicKey, manifest.signedPart, manifest.signature))
    fail('BAD_SIGNATURE', 'key manifest');
  return manifest;
}

/** Chain link: BLAKE2b-256 over the whole manifest, signature included. */
export function manifestHash(bytes: Uint8Array): Uint8Array {
  return hash(HASH_BYTES, Label.manifestHash, bytes);
}

/** Context bound into each stanza's wrap key: kind, device, stream, epoch. */
export function manifestWrapContext(deviceId: Uint8Array, streamId: string, epoch: number): Uint8Array {
  return new Writer()
    .bytes(u8(Kind.KeyManifest))
    .bytes(deviceId)
    .shortBytes(encodeStreamId(streamId))
    .bytes(u32be(epoch))
    .finish();
}
