import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { OPTIONS } from '../src/config/options.js';

const readme = readFileSync(
  join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'README.md'),
  'utf8',
);

describe('relay configuration', () => {
  it('relay/README.md lists every option with its default', () => {
    for (const [name, spec] of Object.entries(OPTIONS)) {
      const pattern = new RegExp(`^\\|\\s*\`${spec.env}\`\\s*\\|\\s*\`${name}\`\\s*\\|`);
      const row = readme.split('\n').find((line) => pattern.test(line));
      assert.ok(row, `README lacks ${spec.env}`);
      assert.ok(
        row.includes(spec.default === null ? '—' : String(spec.default)),
        `README default of ${spec.env}`,
      );
    }
  });

  it('defaults: loopback, port 8080, memory store, fault injection off', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.store, 'memory');
    assert.equal(config.faultInjection, 'off');
  });

  it('invalid values stop the relay with a message naming the variable', () => {
    assert.throws(() => loadConfig({ SEALCAM_PORT: 'eighty' }), /SEALCAM_PORT/);
    assert.throws(() => loadConfig({ SEALCAM_STORE: 'postgres' }), /SEALCAM_STORE/);
    assert.throws(() => loadConfig({ SEALCAM_FAULT_RATE: '2' }), /SEALCAM_FAULT_RATE/);
  });
});
