import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceQuotaOf, loadConfig, type RelayConfig } from '../src/config/config.js';
import { OPTIONS } from '../src/config/options.js';
import { LOOPBACK_FLEET_LIMITS } from '../src/launcher.js';
import { startInProcessRelay } from './support/relay-process.js';

describe('relay configuration', () => {
  it('has exactly one entry per option of the table, each of its declared type', () => {
    const config = loadConfig({});
    assert.deepEqual(Object.keys(config).sort(), Object.keys(OPTIONS).sort());
    for (const [name, spec] of Object.entries(OPTIONS)) {
      const value = config[name as keyof RelayConfig];
      if (value === null) assert.equal(spec.default, null, name);
      else assert.equal(typeof value, spec.type === 'integer' ? 'number' : spec.type, name);
    }
  });

  it('programmatic overrides win over the environment and are validated like it', () => {
    assert.equal(loadConfig({ SEALCAM_PORT: '81' }, { port: 82 }).port, 82);
    assert.equal(
      loadConfig({}, { publicOrigin: 'https://relay.example' }).publicOrigin,
      'https://relay.example',
    );
    assert.throws(() => loadConfig({}, { port: 70_000 }), /SEALCAM_PORT/);
    assert.throws(() => loadConfig({}, { faultRate: 2 }), /SEALCAM_FAULT_RATE/);
    assert.throws(() => loadConfig({}, { store: 'postgres' as never }), /SEALCAM_STORE/);
    assert.throws(() => loadConfig({}, { viewerQueueBytes: 10 }), /SEALCAM_VIEWER_QUEUE_BYTES/);
    assert.throws(() => loadConfig({}, { nonsense: 1 } as never), /unknown option "nonsense"/);
  });

  it('the loopback fleet limits raise every per-source limit but the challenge rate (the drill at 500 homes pairs 128 at once)', () => {
    const perSource = Object.values(OPTIONS)
      .map((spec) => spec.env)
      .filter((env) => /_PER_SOURCE/.test(env) && env !== 'SEALCAM_CHALLENGES_PER_SECOND_PER_SOURCE');
    assert.ok(perSource.length >= 5);
    assert.deepEqual(Object.keys(LOOPBACK_FLEET_LIMITS).sort(), perSource.sort());
    const raised = loadConfig({ ...LOOPBACK_FLEET_LIMITS });
    assert.ok(raised.unauthenticatedSocketsPerSource >= 100_000);
  });

  it('the device quota defaults to a sixteenth of storeMaxBytes and may not exceed half of it', () => {
    assert.equal(deviceQuotaOf(loadConfig({})), 268_435_456 / 16);
    assert.equal(deviceQuotaOf(loadConfig({ SEALCAM_STORE_MAX_BYTES: '16777216' })), 1_048_576);
    assert.equal(
      deviceQuotaOf(loadConfig({}, { storeMaxBytes: 4096 * 1024, deviceQuotaBytes: 2048 * 1024 })),
      2048 * 1024,
    );
    assert.throws(
      () => loadConfig({ SEALCAM_STORE_MAX_BYTES: '16777216', SEALCAM_DEVICE_QUOTA_BYTES: '8388609' }),
      /SEALCAM_DEVICE_QUOTA_BYTES .*half of SEALCAM_STORE_MAX_BYTES/,
    );
    assert.equal(
      loadConfig({ SEALCAM_MEMORY_MAX_BYTES: '1' }).storeMaxBytes,
      268_435_456,
      'the old name is gone',
    );
  });

  it('the relay launcher validates its overrides: a relay with an invalid one does not start', async () => {
    await assert.rejects(() => startInProcessRelay({ maxConnections: 0 }), /SEALCAM_MAX_CONNECTIONS/);
  });
});
