import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { digest, jpegTemplate, markedJpeg, readMarker } from '../src/drill/content.js';
import { joinTallies } from '../src/drill/report.js';
import { emptyTally, kindOfPath, serve } from '../src/drill/tally.js';

test('a marked picture is still a valid JPEG and names its home and object', async () => {
  const template = await jpegTemplate();
  const marked = markedJpeg(template, { home: 4711, object: 'event0:thumbnail' });
  const metadata = await sharp(marked).metadata();
  assert.equal(metadata.format, 'jpeg');
  assert.equal(metadata.width, 160);
  assert.deepEqual(readMarker(marked), { home: 4711, object: 'event0:thumbnail' });
  assert.equal(readMarker(template), null);
  assert.notEqual(digest(marked), digest(markedJpeg(template, { home: 4712, object: 'event0:thumbnail' })));
});

test("the join counts another home's object as misdelivered, and as acceptedForeign only when accepted", () => {
  const deviceSide = emptyTally();
  deviceSide.truth.push(['own', 1], ['theirs', 2], ['event-of-2', 2]);
  const viewerSide = emptyTally();
  serve(viewerSide, 1, 'thumbnail', 'own', true);
  serve(viewerSide, 1, 'thumbnail', 'theirs', false);
  serve(viewerSide, 1, 'frame', 'theirs', true);
  serve(viewerSide, 1, 'listing', 'event-of-2', false);
  serve(viewerSide, 1, 'chunk', 'nobody-made-this', false);
  viewerSide.rejected = { WRONG_DEVICE: 1 };
  const report = joinTallies(
    {
      devices: 2,
      viewersPerDevice: 1,
      fault: 'mixup',
      mixupRate: 0.2,
      store: 'memory',
      plaintextBaseline: false,
      workers: 2,
      concurrency: 1,
      liveWave: 1,
      eventsBefore: 1,
      eventsAfter: 1,
    },
    [deviceSide, viewerSide],
    {
      reconnectAllSeconds: 1,
      reconnectP99Ms: 2,
      relayPeakRssMB: 3,
      relayFaultMisroutes: 4,
      phaseSeconds: {},
      seconds: 5,
    },
  );
  assert.equal(report.objectsServed, 5);
  assert.equal(report.misdelivered, 3);
  assert.deepEqual(report.misdeliveredByKind, {
    listing: 1,
    record: 0,
    thumbnail: 1,
    chunk: 0,
    manifest: 0,
    frame: 1,
  });
  assert.equal(report.acceptedForeign, 1);
  assert.equal(report.unknownServed, 1);
  assert.deepEqual(report.rejected, { WRONG_DEVICE: 1 });
});

test('served HTTP answers are classified by the relay API path', () => {
  assert.equal(kindOfPath('/v1/devices/abc/events'), 'listing');
  assert.equal(kindOfPath('/v1/devices/abc/events/def'), 'record');
  assert.equal(kindOfPath('/v1/devices/abc/events/def/thumbnail'), 'thumbnail');
  assert.equal(kindOfPath('/v1/devices/abc/events/def/chunks/0'), 'chunk');
  assert.equal(kindOfPath('/v1/auth/token'), null);
  assert.equal(kindOfPath('/v1/devices/abc/card'), null);
});
