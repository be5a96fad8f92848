import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Access,
  createIdentity,
  createPairingOffer,
  createPairRequest,
  createPairResponse,
  formatId,
  Kind,
  openPairRequest,
  openPairResponse,
  pairingCode,
  pairingId,
  pairingLink,
  parsePairing,
  parsePairingRouting,
  Role,
  safetyNumber,
} from '../src/index.js';
import { flip, NOW, rejects, throwsCode, world } from './fixtures.js';

const RELAY = 'http://127.0.0.1:8080';

function setup(label = 'pairing') {
  const w = world(label);
  const offer = createPairingOffer({ deviceId: w.device.card.id, relayUrl: RELAY, now: NOW }, w.rng);
  return { ...w, offer };
}

describe('pairing', () => {
  it('invariant 5: the device opens the scanned viewer request, the viewer opens its response, and both compute the same safety number', () => {
    const { device, owner, offer, rng } = setup();
    const scanned = parsePairing(pairingLink(offer));
    const request = createPairRequest({ viewer: owner, offer: scanned, name: 'Ana phone', now: NOW }, rng);
    const seenByDevice = openPairRequest(request, { device, offer, now: NOW + 1000 });
    assert.deepEqual(seenByDevice.viewer.id, owner.card.id);
    assert.equal(seenByDevice.name, 'Ana phone');
    const response = createPairResponse(
      { device, offer, viewer: seenByDevice.viewer, access: Access.Owner },
      rng,
    );
    const result = openPairResponse(response, { viewer: owner, offer: scanned, now: NOW + 2000 });
    assert.deepEqual(result.device.id, device.card.id);
    assert.equal(result.access, Access.Owner);
    assert.equal(result.safetyNumber, safetyNumber(device.card, seenByDevice.viewer));
  });

  it('the link keeps the secret in the fragment; the code is QR-alphanumeric and typeable', () => {
    const { offer } = setup();
    const link = pairingLink(offer);
    const [beforeFragment, fragment] = link.split('#');
    assert.equal(beforeFragment, `${RELAY}/pair`);
    assert.ok(fragment?.startsWith('SCP1-'));
    // A link to a web app served from its own origin: the code inside still names the relay.
    const appLink = pairingLink(offer, 'https://app.example');
    assert.ok(appLink.startsWith('https://app.example/pair#SCP1-'));
    assert.equal(parsePairing(appLink).relayUrl, RELAY);
    assert.match(pairingCode(offer), /^[A-Z0-9-]+$/);
    const typed = pairingCode(offer)
      .toLowerCase()
      .replace(/(.{5})/g, '$1 ');
    const parsed = parsePairing(typed);
    assert.deepEqual(parsed.secret, offer.secret);
    assert.equal(parsed.relayUrl, RELAY);
    assert.equal(parsed.expiresAt, offer.expiresAt);
    throwsCode(() => parsePairing('hello'), 'MALFORMED');
    throwsCode(() => parsePairing(`${pairingCode(offer)}AA`), 'MALFORMED');
  });

  it('the relay sees only routing ids, not the secret', () => {
    const { owner, offer, rng } = setup();
    const request = createPairRequest({ viewer: owner, offer, name: 'x', now: NOW }, rng);
    const routing = parsePairingRouting(request, Kind.PairRequest);
    assert.deepEqual(routing.deviceId, offer.deviceId);
    assert.deepEqual(routing.pairingId, pairingId(offer.secret));
    const hex = Buffer.from(request).toString('hex');
    assert.ok(!hex.includes(Buffer.from(offer.secret).toString('hex')));
    assert.ok(
      !hex.includes(Buffer.from(owner.card.signPublicKey).toString('hex')),
      'viewer key travels sealed',
    );
  });

  it('invariant 5: a relay that substitutes the viewer key makes pairing fail', () => {
    const { device, owner, offer, rng } = setup();
    const relayIdentity = createIdentity(Role.Viewer, rng);
    // The relay knows the routing ids but not the secret: it seals its own card under a guessed key.
    const guess = { ...offer, secret: rng(32) };
    const forged = createPairRequest({ viewer: relayIdentity, offer: guess, name: 'evil', now: NOW }, rng);
    const rerouted = forged.slice();
    rerouted.set(pairingId(offer.secret), 18);
    throwsCode(() => openPairRequest(rerouted, { device, offer, now: NOW }), 'PAIRING_FAILED');
    // Splicing the relay's key into the genuine request breaks its authentication.
    const genuine = createPairRequest({ viewer: owner, offer, name: 'ok', now: NOW }, rng);
    for (let i = 58; i < 58 + 131; i += 17) {
      throwsCode(() => openPairRequest(flip(genuine, i), { device, offer, now: NOW }), 'PAIRING_FAILED');
    }
  });

  it('invariant 5: a substituted device key makes pairing fail, even with a leaked secret', () => {
    const { device, owner, offer, rng } = setup();
    const request = createPairRequest({ viewer: owner, offer, name: 'x', now: NOW }, rng);
    const { viewer } = openPairRequest(request, { device, offer, now: NOW });
    const impostor = createIdentity(Role.Device, rng);
    // An impostor that even knows the secret answers with its own device key.
    const impostorOffer = { ...offer, deviceId: impostor.card.id };
    const fake = createPairResponse(
      { device: impostor, offer: impostorOffer, viewer, access: Access.Owner },
      rng,
    );
    throwsCode(() => openPairResponse(fake, { viewer: owner, offer, now: NOW }), 'PAIRING_FAILED');
    const respliced = fake.slice();
    respliced.set(offer.deviceId, 2);
    throwsCode(() => openPairResponse(respliced, { viewer: owner, offer, now: NOW }), 'PAIRING_FAILED');
  });

  it('invariant 5: the device must have confirmed this viewer key (a response for another viewer fails)', () => {
    const { device, owner, friend, offer, rng } = setup();
    const response = createPairResponse({ device, offer, viewer: friend.card, access: Access.Owner }, rng);
    const error = throwsCode(
      () => openPairResponse(response, { viewer: owner, offer, now: NOW }),
      'PAIRING_FAILED',
    );
    assert.match(error.message, /did not confirm this viewer key/);
  });

  it('an expired code is refused on both sides', () => {
    const { device, owner, offer, rng } = setup();
    const late = offer.expiresAt + 1;
    throwsCode(() => createPairRequest({ viewer: owner, offer, name: 'x', now: late }, rng), 'STALE');
    const request = createPairRequest({ viewer: owner, offer, name: 'x', now: NOW }, rng);
    throwsCode(() => openPairRequest(request, { device, offer, now: late }), 'STALE');
  });

  it('a response from another pairing session is refused', () => {
    const { device, owner, offer, rng } = setup();
    const other = createPairingOffer({ deviceId: device.card.id, relayUrl: RELAY, now: NOW }, rng);
    const response = createPairResponse(
      { device, offer: other, viewer: owner.card, access: Access.Viewer },
      rng,
    );
    throwsCode(() => openPairResponse(response, { viewer: owner, offer, now: NOW }), 'PAIRING_FAILED');
  });

  it('every single-byte change of a request or response is rejected', () => {
    const { device, owner, offer, rng } = setup();
    const request = createPairRequest({ viewer: owner, offer, name: 'x', now: NOW }, rng);
    const response = createPairResponse({ device, offer, viewer: owner.card, access: Access.Owner }, rng);
    for (let i = 0; i < request.length; i++)
      rejects(() => openPairRequest(flip(request, i), { device, offer, now: NOW }));
    for (let i = 0; i < response.length; i++) {
      rejects(() => openPairResponse(flip(response, i), { viewer: owner, offer, now: NOW }));
    }
    assert.ok(formatId(offer.deviceId));
  });
});
