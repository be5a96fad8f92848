import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildVectors, type RejectCase } from '../scripts/vectors.js';
import {
  Access,
  accessEntryOf,
  checkMp4ClipChunk,
  decodeClipChunk,
  decodeEventRecord,
  decodeLiveMessage,
  decodeMediaPayload,
  encodeClipChunk,
  encodeEventRecord,
  encodeLiveMessage,
  encodeMediaPayload,
  FrameOpener,
  frameKeyId,
  freshnessOf,
  fromHex,
  fromUtf8,
  type Identity,
  importIdentity,
  inviteCode,
  isTimedCodec,
  opaqueStreamId,
  openCameraName,
  openClip,
  openClipChunk,
  openClockProof,
  openEvent,
  openManifest,
  openPairRequest,
  openPairResponse,
  openProfile,
  openThumbnail,
  pad,
  paddedLength,
  parseCard,
  parseInviteCode,
  parsePairing,
  parseViewerCode,
  toHex,
  unpad,
  verifyAccessList,
  verifyAuthProof,
  verifyGrant,
  verifyRevocation,
  viewerCode,
  WireType,
} from '../src/index.js';
import { throwsCode } from './fixtures.js';

const directory = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test-vectors');
// biome-ignore lint/suspicious/noExplicitAny: vector files are JSON documents
const load = (name: string): any => JSON.parse(readFileSync(join(directory, name), 'utf8'));

const identityVectors = load('identity.json');
const parties: Record<string, Identity> = Object.fromEntries(
  Object.entries(identityVectors.parties).map(([name, value]) => [
    name,
    importIdentity(fromHex((value as { secret: string }).secret)),
  ]),
);
const device = parties.device!;
const owner = parties.owner!;
const NOW: number = identityVectors.now;

const manifestVectors = load('manifest.json');
const frameVectors = load('frame.json');
const eventVectors = load('event.json');
const grantVectors = load('grant.json');
const relayVectors = load('relay.json');
const pairingVectors = load('pairing.json');
const paddingVectors = load('padding.json');
const liveVectors = load('live.json');
const clockVectors = load('clock.json');
const clipContainerVectors = load('clip-container.json');
const mediaVectors = load('media.json');
const recordVectors = load('record.json');
const codeVectors = load('codes.json');
const profileVectors = load('profile.json');
const offer = parsePairing(pairingVectors.offer.code);
const event = openEvent(fromHex(eventVectors.envelope), { viewer: owner, device: device.card });

function frameOpener(streamId: string): FrameOpener {
  const opener = new FrameOpener({ deviceId: device.card.id, streamId });
  opener.addEpoch({
    epoch: 1,
    epochKey: fromHex(frameVectors.epochKey),
    notBefore: NOW,
    notAfter: NOW + 600_000,
  });
  return opener;
}

/** The check named by a reject case, run on its bytes. */
function runCheck(check: string, bytes: Uint8Array): unknown {
  const [name, a, b, offset] = check.split(':');
  switch (name) {
    case 'card':
      return parseCard(bytes);
    case 'manifest':
      return openManifest(bytes, {
        viewer: parties[a!]!,
        device: device.card,
        streamId: b!,
        now: NOW + Number(offset ?? 0),
      });
    case 'frame':
      return frameOpener(a!).open(bytes, NOW);
    case 'event':
      return openEvent(bytes, { viewer: parties[a!]!, device: device.card });
    case 'thumbnail':
      return openThumbnail(bytes, event);
    case 'chunk':
      return openClipChunk(bytes, event, Number(a));
    case 'clip':
      return openClip([bytes], event);
    case 'grant':
      return verifyGrant(bytes, { deviceId: device.card.id, owner: owner.card, now: NOW });
    case 'revocation':
      return verifyRevocation(bytes, { deviceId: device.card.id, owner: owner.card, now: NOW });
    case 'access-list':
      return verifyAccessList(bytes, device.card);
    case 'access-entry':
      return accessEntryOf(bytes, parties[a!]!.card.id);
    case 'profile': {
      const list = verifyAccessList(bytes, device.card);
      return openProfile(list.profile!, parties[a!]!, device.card.id, list.version);
    }
    case 'camera-name':
      return openCameraName(bytes, { device, owner: owner.card, now: NOW });
    case 'auth':
      return verifyAuthProof(bytes, {
        origin: relayVectors.auth.origin,
        challenge: fromHex(relayVectors.auth.challenge),
      });
    case 'pair-request':
      return openPairRequest(bytes, { device, offer, now: NOW });
    case 'pair-response':
      return openPairResponse(bytes, { viewer: owner, offer, now: NOW });
    case 'pairing-code':
      return parsePairing(fromUtf8(bytes));
    case 'unpad':
      return unpad(bytes, a as 'block64' | undefined);
    case 'live':
      return decodeLiveMessage(bytes);
    case 'clock':
      return openClockProof(bytes, { device: device.card, nonce: fromHex(a!) });
    case 'clip-container':
      return decodeClipChunk(bytes);
    case 'media':
      return decodeMediaPayload(bytes);
    case 'mp4-chunk':
      return checkMp4ClipChunk(bytes, a === 'first');
    case 'record':
      return decodeEventRecord(bytes);
    case 'viewer-code':
      return parseViewerCode(fromUtf8(bytes));
    case 'invite-code':
      return parseInviteCode(fromUtf8(bytes));
    default:
      throw new Error(`unknown check ${check}`);
  }
}

describe('test vectors', () => {
  it('the committed vector files are exactly what this implementation produces', () => {
    for (const [name, content] of Object.entries(buildVectors())) {
      assert.deepEqual(
        load(name),
        JSON.parse(JSON.stringify(content)),
        `${name} differs: run npm run vectors`,
      );
    }
  });

  it('identities import from their listed secrets to the listed cards and ids', () => {
    for (const [name, value] of Object.entries(identityVectors.parties)) {
      const v = value as { card: string; id: string };
      assert.equal(toHex(parties[name]!.card.bytes), v.card);
      assert.equal(toHex(parseCard(fromHex(v.card)).id), v.id);
    }
  });

  it('manifests open to the listed epoch keys', () => {
    let previous: { epoch: number; hash: Uint8Array } | undefined;
    for (const m of manifestVectors.manifests) {
      const opened = openManifest(fromHex(m.bytes), {
        viewer: owner,
        device: device.card,
        streamId: m.streamId,
        now: m.notBefore,
        previous,
      });
      assert.equal(toHex(opened.epochKey), m.epochKey);
      assert.equal(toHex(opened.hash), m.hash);
      previous = { epoch: m.epoch, hash: opened.hash };
    }
  });

  it('frames open to the listed payloads with the listed header fields', () => {
    const opener = frameOpener('cam-1');
    for (const f of frameVectors.frames) {
      const opened = opener.open(fromHex(f.sealed), NOW);
      assert.equal(toHex(opened.payload), f.payload);
      assert.equal(opened.counter, f.counter);
      assert.equal(opened.keyframe, f.keyframe);
      assert.equal(opened.codec, f.codec);
      assert.equal(parseInt(f.sealed.slice(4, 8), 16), frameVectors.derived.keyId, 'header key id');
    }
    assert.equal(frameKeyId(device.card.id, 'cam-1', 1), frameVectors.derived.keyId);
  });

  it('the event opens to the listed thumbnail and clip', () => {
    assert.equal(
      toHex(openThumbnail(fromHex(eventVectors.thumbnail.sealed), event)),
      eventVectors.thumbnail.plaintext,
    );
    eventVectors.chunks.forEach((chunk: { sealed: string; plaintext: string }, i: number) => {
      assert.equal(toHex(openClipChunk(fromHex(chunk.sealed), event, i).data), chunk.plaintext);
    });
  });

  it('grant, revocation, access list, auth proof and pairing verify as listed', () => {
    runCheck('grant', fromHex(grantVectors.grant));
    runCheck('revocation', fromHex(grantVectors.revocation));
    assert.equal(verifyAccessList(fromHex(relayVectors.accessList), device.card).version, 2);
    runCheck('auth', fromHex(relayVectors.auth.proof));
    assert.equal(toHex(offer.secret), pairingVectors.offer.draws[0]);
    assert.equal(runCheckName(pairingVectors.request.bytes), 'Ana phone');
    const result = openPairResponse(fromHex(pairingVectors.response.bytes), {
      viewer: owner,
      offer,
      now: NOW,
    });
    assert.equal(result.safetyNumber, pairingVectors.response.safetyNumber);
  });

  it('padded lengths and padded bytes are as listed, and unpad inverts pad', () => {
    for (const row of paddingVectors.paddedLength)
      for (const scheme of ['none', 'block64', 'padme'] as const)
        assert.equal(paddedLength(row.length, scheme), row[scheme], `${scheme} of ${row.length}`);
    for (const row of paddingVectors.padded) {
      assert.equal(toHex(pad(fromHex(row.input), row.scheme)), row.output);
      assert.equal(toHex(unpad(fromHex(row.output))), row.input);
    }
  });

  it('live messages decode to the listed fields and encode to the listed bytes', () => {
    for (const m of liveVectors.messages) {
      const decoded = decodeLiveMessage(fromHex(m.bytes));
      assert.equal(decoded.type, m.type);
      assert.equal(toHex(decoded.deviceId), liveVectors.deviceId);
      assert.equal(decoded.streamId, liveVectors.streamId);
      assert.equal(toHex(decoded.payload), m.payload);
      assert.equal(toHex(encodeLiveMessage(decoded)), m.bytes);
    }
    assert.equal(liveVectors.messages[0].payload, frameVectors.frames[0].sealed);
    assert.equal(liveVectors.messages[1].payload, manifestVectors.manifests[0].bytes);
  });

  it('names (§9.3, §9.4, §8.5): stream ids derive from local ids; the profile opens for owner and friend; the name change opens for the device', () => {
    for (const stream of profileVectors.streams)
      assert.equal(opaqueStreamId(device, stream.localId), stream.streamId);
    const list = verifyAccessList(fromHex(profileVectors.accessList.bytes), device.card);
    assert.equal(list.version, profileVectors.accessList.version);
    for (const party of ['owner', 'friend'])
      assert.deepEqual(
        openProfile(list.profile!, parties[party]!, device.card.id, list.version),
        profileVectors.profile,
      );
    assert.equal(
      accessEntryOf(list.bytes, owner.card.id),
      Access.Owner,
      'the relay reads the entries past a profile',
    );
    assert.equal(accessEntryOf(list.bytes, parties.stranger!.card.id), null);
    const change = openCameraName(fromHex(profileVectors.nameChange.bytes), {
      device,
      owner: owner.card,
      now: NOW,
    });
    assert.deepEqual(
      { streamId: change.streamId, name: change.name, issuedAt: change.issuedAt },
      {
        streamId: profileVectors.nameChange.streamId,
        name: profileVectors.nameChange.name,
        issuedAt: profileVectors.nameChange.issuedAt,
      },
    );
  });

  it('the clock proof opens to the listed time for each listed nonce; freshness verdicts match', () => {
    for (const nonce of clockVectors.nonces)
      assert.equal(
        openClockProof(fromHex(clockVectors.proof), { device: device.card, nonce: fromHex(nonce) }),
        clockVectors.time,
      );
    const message = decodeLiveMessage(fromHex(clockVectors.message));
    assert.equal(message.type, WireType.LiveClock);
    assert.equal(toHex(message.payload), clockVectors.proof);
    for (const row of clockVectors.freshness)
      assert.deepEqual(freshnessOf(clockVectors.sample, row.capturedAtUs, row.at), row.freshness);
    assert.deepEqual(
      clockVectors.freshness.map((row: { freshness: { state: string } }) => row.freshness.state),
      ['live', 'live', 'delayed', 'delayed', 'live'],
    );
  });

  it('clip containers decode to the listed frames and encode back to the same bytes', () => {
    for (const chunk of clipContainerVectors.chunks) {
      const frames = decodeClipChunk(fromHex(chunk.bytes));
      assert.deepEqual(
        frames.map((f) => ({ capturedAt: f.capturedAt, image: toHex(f.image) })),
        chunk.frames,
      );
      assert.equal(toHex(encodeClipChunk(frames)), chunk.bytes);
    }
  });

  it('media payloads decode to the listed time and unit and encode back; MP4 chunks list their boxes', () => {
    for (const p of mediaVectors.payloads) {
      const decoded = decodeMediaPayload(fromHex(p.bytes));
      assert.equal(decoded.capturedAtUs, p.capturedAtUs);
      assert.equal(toHex(decoded.unit), p.unit);
      assert.ok(isTimedCodec(p.codec));
      assert.equal(toHex(encodeMediaPayload(decoded)), p.bytes);
    }
    for (const chunk of mediaVectors.mp4Chunks)
      assert.deepEqual(checkMp4ClipChunk(fromHex(chunk.bytes), chunk.first), chunk.boxes);
  });

  it('event records decode to the listed fields and encode back to the same bytes; the event opens to the first', () => {
    for (const r of recordVectors.records) {
      const record = decodeEventRecord(fromHex(r.bytes));
      assert.deepEqual(record, r.record, r.name);
      assert.equal(toHex(encodeEventRecord(record)), r.bytes, r.name);
      assert.equal(toHex(pad(fromHex(r.bytes), 'block64')), r.paddedBlock64, r.name);
      assert.equal(toHex(unpad(fromHex(r.paddedBlock64), 'block64')), r.bytes, r.name);
    }
    assert.deepEqual(event.record, recordVectors.records[0].record);
    assert.equal(eventVectors.inputs.record, recordVectors.records[0].bytes);
  });

  it('viewer and invite codes are as listed and parse back', () => {
    for (const v of codeVectors.viewerCodes) {
      assert.equal(viewerCode(parties[v.party]!.card), v.code);
      assert.equal(toHex(parseViewerCode(v.code).bytes), toHex(parties[v.party]!.card.bytes));
    }
    for (const v of codeVectors.viewerCodeAccepted)
      assert.equal(toHex(parseViewerCode(v.text).id), toHex(parties[v.party]!.card.id));
    for (const invite of codeVectors.invites) {
      assert.equal(
        inviteCode({ deviceId: fromHex(invite.deviceId), relayUrl: invite.relayUrl }),
        invite.code,
      );
      const parsed = parseInviteCode(invite.code.toLowerCase());
      assert.equal(toHex(parsed.deviceId), invite.deviceId);
      assert.equal(parsed.relayUrl, invite.relayUrl);
    }
  });

  const all: RejectCase[] = [
    identityVectors,
    manifestVectors,
    frameVectors,
    eventVectors,
    grantVectors,
    relayVectors,
    pairingVectors,
    paddingVectors,
    liveVectors,
    clockVectors,
    clipContainerVectors,
    mediaVectors,
    recordVectors,
    codeVectors,
    profileVectors,
  ].flatMap((file) => file.reject as RejectCase[]);
  for (const rejectCase of all) {
    it(`reject vector "${rejectCase.name}" fails with ${rejectCase.expect}`, () => {
      throwsCode(() => runCheck(rejectCase.check, fromHex(rejectCase.bytes)), rejectCase.expect as never);
    });
  }
});

function runCheckName(hex: string): string {
  return openPairRequest(fromHex(hex), { device, offer, now: NOW }).name;
}
