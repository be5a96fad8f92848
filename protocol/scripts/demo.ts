/**
 * A walk-through of the protocol in one process, with the relay played by a function that only
 * carries bytes (and sometimes misbehaves). Prints what happens; never prints keys or content bytes.
 */
import {
  Access,
  addPairedViewer,
  applyRevocation,
  Codec,
  createIdentity,
  createPairingOffer,
  createPairRequest,
  createPairResponse,
  createRevocation,
  currentRecipients,
  EventSealer,
  emptyViewerList,
  FrameOpener,
  FrameSealer,
  fingerprint,
  openEvent,
  openManifest,
  openPairRequest,
  openPairResponse,
  openThumbnail,
  pairingLink,
  parsePairing,
  Role,
  ready,
  SealError,
  sealManifest,
  utf8,
} from '../src/index.js';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: npm run demo\n\nA walk-through of the sealcam protocol in one process: pairing, live frames, events,\n' +
      'sharing and revocation, with a relay that misbehaves; every attack refused, with its reason.\n',
  );
  process.exit(0);
}
await ready();
const now = Date.now();
const step = (text: string) => console.log(`\n▸ ${text}`);
const ok = (text: string) => console.log(`  ✓ ${text}`);
const refused = (fn: () => unknown) => {
  try {
    fn();
    console.log('  ✗ ACCEPTED — this would be a bug');
    process.exitCode = 1;
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    console.log(`  ✓ refused [${error.code}]: ${error.message}`);
  }
};

const device = createIdentity(Role.Device);
const otherDevice = createIdentity(Role.Device);
const owner = createIdentity(Role.Viewer);
const friend = createIdentity(Role.Viewer);
console.log('sealcam protocol demo (the relay is played by code that only carries bytes)');
console.log(`device id ${fingerprint(device.card.id)}`);

step('Pairing: the device shows a link/QR; the secret sits in the URL fragment');
const offer = createPairingOffer({ deviceId: device.card.id, relayUrl: 'http://127.0.0.1:8080', now });
const link = pairingLink(offer);
console.log(`  link: ${link.slice(0, link.indexOf('#') + 12)}… (${link.length} characters)`);
const scanned = parsePairing(link);
const request = createPairRequest({ viewer: owner, offer: scanned, name: 'Owner phone', now });
const seen = openPairRequest(request, { device, offer, now });
const response = createPairResponse({ device, offer, viewer: seen.viewer, access: Access.Owner });
const paired = openPairResponse(response, { viewer: owner, offer: scanned, now });
ok(`paired as owner; safety number ${paired.safetyNumber}`);
let viewers = addPairedViewer(emptyViewerList(device.card.id), seen.viewer, now);

step('A relay that substitutes the device key during pairing');
const impostor = createIdentity(Role.Device);
const forged = createPairResponse({ device: impostor, offer, viewer: owner.card, access: Access.Owner });
refused(() => openPairResponse(forged, { viewer: owner, offer: scanned, now }));

step('Live view: one key manifest per epoch, 24 bytes of overhead per frame');
const manifest = sealManifest({
  device,
  streamId: 'front-door',
  epoch: 1,
  notBefore: now,
  notAfter: now + 600_000,
  previous: null,
  recipients: currentRecipients(viewers, now),
});
const opened = openManifest(manifest.bytes, {
  viewer: owner,
  device: paired.device,
  streamId: 'front-door',
  now,
});
const sealer = new FrameSealer({
  deviceId: device.card.id,
  streamId: 'front-door',
  epoch: 1,
  epochKey: manifest.epochKey,
});
const opener = new FrameOpener({ deviceId: device.card.id, streamId: 'front-door' });
opener.addEpoch({ epoch: 1, epochKey: opened.epochKey, notBefore: now, notAfter: now + 600_000 });
const frame = sealer.seal(utf8('a JPEG frame'), { keyframe: true, codec: Codec.Jpeg });
ok(`frame opened (${frame.length - 12} bytes of overhead, counter ${opener.open(frame, now).counter})`);
refused(() => opener.open(frame, now));

step('An event: record, thumbnail and clip sealed under the event key, record signed by the device');
const event = new EventSealer({ device, streamId: 'front-door' });
const thumbnail = event.sealThumbnail(utf8('thumbnail of the front door'));
const envelope = event.finish(
  { kind: 'motion', start: now, end: now + 5000, score: 0.8, labels: ['person'] },
  currentRecipients(viewers, now),
);
const openedEvent = openEvent(envelope, { viewer: owner, device: paired.device });
ok(
  `event opened: ${openedEvent.record.kind}, score ${openedEvent.record.score}, thumbnail of ${openThumbnail(thumbnail, openedEvent).length} bytes verified and opened`,
);

step("The incident: the relay mixes up device→user mapping and serves another camera's thumbnail");
const foreign = new EventSealer({ device: otherDevice, streamId: 'bedroom' });
const foreignThumbnail = foreign.sealThumbnail(utf8("someone else's bedroom"));
refused(() => openThumbnail(foreignThumbnail, openedEvent));
refused(() => openEvent(envelope, { viewer: friend, device: paired.device }));

step('Revocation: a new epoch not wrapped for the revoked viewer');
viewers = addPairedViewer(viewers, friend.card, now);
const revocation = createRevocation({
  owner,
  deviceId: device.card.id,
  viewerId: friend.card.id,
  issuedAt: now + 1,
});
viewers = applyRevocation(viewers, revocation, now + 2).list;
const next = sealManifest({
  device,
  streamId: 'front-door',
  epoch: 2,
  notBefore: now,
  notAfter: now + 600_000,
  previous: manifest.bytes,
  recipients: currentRecipients(viewers, now),
});
refused(() =>
  openManifest(next.bytes, { viewer: friend, device: paired.device, streamId: 'front-door', now }),
);
console.log('\nThe relay, agent and viewer apps are being built on this protocol; see README.md.');
