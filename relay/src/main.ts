#!/usr/bin/env node
import { loadConfig } from './config/config.js';
import { FAULT_WARNING } from './routes/ops.js';
import { createRelay } from './server.js';

const config = loadConfig();
if (config.faultInjection !== 'off') {
  process.stderr.write(`\n!!! ${FAULT_WARNING} (rate ${config.faultRate}) !!!\n\n`);
}
const relay = await createRelay(config);
const { origin } = await relay.start();
process.stderr.write(`sealcam relay listening on ${origin} (store: ${config.store})\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    relay.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
