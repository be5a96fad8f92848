import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';

function load(cameras: unknown[]) {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-camera-config-'));
  try {
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ cameras }));
    return loadConfig({ configPath, stateDir: dir, env: {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('camera source configuration', () => {
  it('accepts the passthrough options of an rtsp camera, the mjpeg mode, and an H.264 synthetic camera', () => {
    const config = load([
      {
        id: 'door',
        source: 'rtsp',
        url: 'rtsp://u:p@cam/1',
        stills: 'decode',
        stillFps: 2,
        stillWidth: 640,
        stillQuality: 5,
        substream: 'rtsp://u:p@cam/2',
        audio: false,
        authRetryMs: 600_000,
        motion: { threshold: 30 },
      },
      { id: 'yard', source: 'rtsp', url: 'rtsp://cam/1', mode: 'mjpeg', fps: 5, width: 640 },
      {
        id: 'syn',
        source: 'synthetic',
        codec: 'h264',
        audio: true,
        stillEveryMs: 1000,
        keyframeSeconds: 2,
        colour: [200, 40, 40],
      },
    ]);
    assert.equal(config.cameras.length, 3);
    assert.deepEqual(config.cameras[0]!.motion, { threshold: 30 }, 'motion stays the detector settings');
  });

  it('refuses unknown modes, still sources and a non-RTSP substream, naming the field', () => {
    for (const camera of [
      { id: 'a', source: 'rtsp', url: 'rtsp://cam/1', mode: 'hls' },
      { id: 'a', source: 'rtsp', url: 'rtsp://cam/1', stills: 'always' },
      { id: 'a', source: 'rtsp', url: 'rtsp://cam/1', substream: 'http://cam/2' },
      { id: 'a', source: 'synthetic', codec: 'h265' },
      { id: 'a', source: 'synthetic', colour: [0, 0, 300] },
      { id: 'a', source: 'synthetic', colour: [0, 0] },
    ]) {
      assert.throws(() => load([camera]), /configuration file .*cameras\/0/, JSON.stringify(camera));
    }
  });
});

describe('web app URL for pairing links', () => {
  it('is the relay URL unless set (file or SEALCAM_APP_URL); a URL with a trailing slash or a fragment is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealcam-app-url-'));
    try {
      const configPath = join(dir, 'config.json');
      writeFileSync(configPath, JSON.stringify({ relayUrl: 'http://127.0.0.1:9000' }));
      assert.equal(loadConfig({ configPath, stateDir: dir, env: {} }).appUrl, 'http://127.0.0.1:9000');
      const env = { SEALCAM_APP_URL: 'https://app.example' };
      assert.equal(loadConfig({ configPath, stateDir: dir, env }).appUrl, 'https://app.example');
      writeFileSync(configPath, JSON.stringify({ appUrl: 'http://127.0.0.1:9001' }));
      assert.equal(loadConfig({ configPath, stateDir: dir, env: {} }).appUrl, 'http://127.0.0.1:9001');
      for (const bad of ['https://app.example/', 'https://app.example/#x'])
        assert.throws(
          () => loadConfig({ configPath, stateDir: dir, env: { SEALCAM_APP_URL: bad } }),
          /app URL/,
        );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
