#!/usr/bin/env -S node --max-semi-space-size=64 --initial-old-space-size=256 --conditions=sealcam-relay
import { loadConfig } from './config/config.js';
import { AdminListenError } from './http/admin-listener.js';
import { missingNodeFlags } from './node-flags.js';
import { FAULT_WARNING } from './routes/ops.js';
import { createRelay } from './server.js';
import { ADMIN_LISTENER, EXIT_LISTEN, listenFailure, relayUsage } from './usage.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(relayUsage());
  process.exit(0);
}
const config = loadConfig();
const missing = missingNodeFlags();
if (missing.length > 0) {
  process.stderr.write(
    `warning: started without ${missing.join(' ')}: live frames cost about a third more CPU (relay/README.md, "Performance")\n`,
  );
}
if (config.faultInjection !== 'off') {
  const detail =
    config.faultInjection === 'mixup'
      ? `mixup, rate ${config.faultRate}`
      : `delay-live, ${config.faultDelayMs} ms`;
  process.stderr.write(`\n!!! ${FAULT_WARNING} (${detail}) !!!\n\n`);
}
const relay = await createRelay(config);
const { origin, adminOrigin } = await relay.start().catch(async (error: unknown) => {
  const reason =
    error instanceof AdminListenError
      ? listenFailure(error, config.adminHost, config.adminPort, ADMIN_LISTENER)
      : listenFailure(error, config.host, config.port);
  if (!reason) throw error;
  process.stderr.write(`${reason}\n`);
  await relay.close().catch(() => undefined);
  process.exit(EXIT_LISTEN);
});
// launchRelay() (launcher.ts) reads both origins from this line.
process.stderr.write(
  `sealcam relay listening on ${origin} (store: ${config.store}); admin (metrics, health) on ${adminOrigin}\n`,
);

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
