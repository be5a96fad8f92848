#!/usr/bin/env node
import { Access, fingerprint, formatId, ready, safetyNumber, toHex } from '@sealcam/protocol';
import { RelayError, RelaySession } from '@sealcam/relay-client';
import { Command, InvalidArgumentError } from 'commander';
import QRCode from 'qrcode';
import { Agent } from './agent.js';
import { type AgentConfig, ENVIRONMENT, loadConfig } from './config.js';
import { AgentError } from './errors.js';
import { createLogger } from './log.js';
import { accessName, completePairing, createInvitation } from './pairing/device-pairing.js';
import { registerAccessList } from './sharing/access-list.js';
import { profileDefaults } from './sharing/device-profile.js';
import { revokeLocally } from './sharing/local-revoke.js';
import { createDeviceIdentity, loadDeviceIdentity } from './state/identity-store.js';
import { statePaths } from './state/paths.js';
import { runningAgentPid } from './state/run-lock.js';
import { readStatus } from './state/status-file.js';
import { loadViewerState, updateViewerState } from './state/viewers-store.js';
import { stopSignal } from './stop-signal.js';

interface GlobalOptions {
  config?: string;
  state?: string;
  relay?: string;
}

const program = new Command('sealcam-agent')
  .description('sealcam device agent: seals camera frames and events for the viewers paired with this device')
  .option(
    '-c, --config <file>',
    'JSON configuration file (env SEALCAM_AGENT_CONFIG; default <state>/config.json)',
  )
  .option('-s, --state <dir>', 'state directory (env SEALCAM_AGENT_STATE_DIR)')
  .option('-r, --relay <url>', 'relay URL (env SEALCAM_RELAY_URL)')
  .addHelpText(
    'after',
    `\nEnvironment:\n${Object.entries(ENVIRONMENT)
      .map(([name, meaning]) => `  ${name.padEnd(26)} ${meaning}`)
      .join('\n')}`,
  )
  .showHelpAfterError();

function config(): AgentConfig {
  const options = program.opts<GlobalOptions>();
  return loadConfig({ configPath: options.config, stateDir: options.state, relayUrl: options.relay });
}

function positiveSeconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 10 || parsed > 86_400)
    throw new InvalidArgumentError('a number of seconds between 10 and 86400');
  return parsed;
}

function time(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

program
  .command('init')
  .description('create the device identity in the state directory (once)')
  .action(async () => {
    await ready();
    const { stateDir } = config();
    const identity = await createDeviceIdentity(statePaths(stateDir));
    console.log(`device identity created in ${stateDir}`);
    console.log(`device id:   ${formatId(identity.card.id)}`);
    console.log(`fingerprint: ${fingerprint(identity.card.id)}`);
    console.log('next: "sealcam-agent pair" to pair the owner\'s viewer');
  });

program
  .command('pair')
  .description('show a pairing QR code, link and code; wait for a viewer; show the safety number')
  .option('--ttl <seconds>', 'how long the code stays valid', positiveSeconds, 600)
  .option('--no-qr', 'do not draw the QR code')
  .action(async (options: { ttl: number; qr: boolean }) => {
    await ready();
    const cfg = config();
    const paths = statePaths(cfg.stateDir);
    const device = await loadDeviceIdentity(paths);
    const log = createLogger();
    const session = new RelaySession(cfg.relayUrl, device);
    // Authenticating first registers the device's card, without which the relay takes no pair request.
    await session.bearer();
    const invitation = createInvitation(device, cfg.relayUrl, options.ttl * 1000, cfg.appUrl);
    if (options.qr) console.log(await QRCode.toString(invitation.link, { type: 'terminal', small: true }));
    console.log(`pairing link: ${invitation.link}`);
    console.log(`pairing code: ${invitation.code}`);
    console.log(`valid until ${time(invitation.offer.expiresAt)}; waiting for a viewer…`);
    const abort = new AbortController();
    // `on`, not `once`: see stop-signal.ts (signal-exit would re-raise it during an atomic write).
    process.on('SIGINT', () => abort.abort());
    const paired = await completePairing({ device, invitation, session, paths, log, signal: abort.signal });
    console.log(`paired with "${paired.name}" as ${accessName(paired.access)}`);
    console.log(`viewer id:     ${formatId(paired.viewer.id)}`);
    console.log(`safety number: ${paired.safetyNumber}`);
    console.log('compare the safety number with the one the viewer shows; they must be equal');
    await registerAccessList(session, device, paths, profileDefaults(cfg, device)).catch((error: Error) =>
      console.warn(`the relay's access list is not updated yet (${error.message}); "run" will retry`),
    );
  });

const viewers = program
  .command('viewers')
  .description('list the viewers authorised on this device (and revoke one)')
  .action(async () => {
    await ready();
    const cfg = config();
    const paths = statePaths(cfg.stateDir);
    const device = await loadDeviceIdentity(paths);
    const state = await loadViewerState(paths, device.card.id);
    if (state.list.viewers.length === 0) {
      console.log('no viewers yet: run "sealcam-agent pair"');
      return;
    }
    for (const viewer of state.list.viewers) {
      const name = state.names[toHex(viewer.card.id)] ?? '';
      const expiry = viewer.expiresAt ? `, until ${time(viewer.expiresAt)}` : '';
      console.log(
        `${formatId(viewer.card.id)}  ${accessName(viewer.access).padEnd(6)}  since ${time(viewer.since)}${expiry}  ${name}`,
      );
      console.log(`  safety number: ${safetyNumber(device.card, viewer.card)}`);
    }
  });

viewers
  .command('revoke <viewerId>')
  .description('remove a viewer: live keys rotate at once and new events are no longer sealed for it')
  .action(async (viewerId: string) => {
    await ready();
    const cfg = config();
    const paths = statePaths(cfg.stateDir);
    const device = await loadDeviceIdentity(paths);
    await updateViewerState(paths, device.card.id, (state) => ({
      ...state,
      list: revokeLocally(state.list, viewerId, Date.now()),
    }));
    console.log(`revoked ${viewerId}`);
    const running = await runningAgentPid(paths);
    if (running) {
      console.log(`the running agent (pid ${running}) rotates its live keys within a second`);
      return;
    }
    await registerAccessList(
      new RelaySession(cfg.relayUrl, device),
      device,
      paths,
      profileDefaults(cfg, device),
    ).catch((error: Error) =>
      console.warn(`the relay's access list is not updated yet (${error.message}); "run" will retry`),
    );
  });

program
  .command('run')
  .description('stream and record: seal live frames and motion events for the paired viewers')
  .action(async () => {
    const cfg = config();
    const log = createLogger();
    // Listening before the start: a signal that comes while it runs (or right after its "agent
    // running" line) stops the agent once it has started, instead of killing it.
    const stopped = stopSignal();
    const agent = await Agent.start(cfg, log);
    console.error(
      `sealcam-agent running: device ${agent.deviceId}, relay ${cfg.relayUrl}, ${cfg.cameras.length} camera(s)`,
    );
    await stopped;
    const forced = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    forced.unref();
    await agent.stop();
    process.exit(0);
  });

program
  .command('status')
  .description('identity, relay connection, outbox depth and cameras')
  .option('--json', 'print the status as JSON')
  .action(async (options: { json?: boolean }) => {
    await ready();
    const cfg = config();
    const paths = statePaths(cfg.stateDir);
    const device = await loadDeviceIdentity(paths);
    const state = await loadViewerState(paths, device.card.id);
    const pid = await runningAgentPid(paths);
    const status = await readStatus(paths);
    if (options.json) {
      console.log(
        JSON.stringify({ deviceId: formatId(device.card.id), running: pid !== null, status }, null, 2),
      );
      return;
    }
    console.log(`device id:   ${formatId(device.card.id)}`);
    console.log(`fingerprint: ${fingerprint(device.card.id)}`);
    console.log(`state:       ${cfg.stateDir}`);
    console.log(`relay:       ${cfg.relayUrl}`);
    const owners = state.list.viewers.filter((v) => v.access === Access.Owner).length;
    console.log(`viewers:     ${state.list.viewers.length} (${owners} owner)`);
    if (!pid || !status) {
      console.log(`agent:       not running${status ? ` (last report ${time(status.updatedAt)})` : ''}`);
      return;
    }
    console.log(`agent:       running, pid ${pid}, since ${time(status.startedAt)}`);
    const since = status.relay.connectedSince ? ` since ${time(status.relay.connectedSince)}` : '';
    console.log(
      `connection:  ${status.relay.state}${since}, ${status.relay.reconnects} reconnects${status.relay.lastError ? `, last error: ${status.relay.lastError}` : ''}`,
    );
    console.log(
      `outbox:      ${status.outbox.depth} events waiting (${status.outbox.bytes} bytes), ${status.outbox.uploaded} delivered${status.outbox.deferred ? `, ${status.outbox.deferred} refused by the relay (kept, retried)` : ''}`,
    );
    for (const camera of status.cameras) {
      const last = camera.lastFrameAt ? `, last frame ${time(camera.lastFrameAt)}` : ', no frame yet';
      const client = camera.rtspClient
        ? `, rtsp client ${camera.rtspClient.name} (${camera.rtspClient.why})`
        : '';
      console.log(
        `camera ${camera.id} (${camera.source}, stream ${camera.streamId ?? '-'}): ${camera.frames} frames, ${camera.framesSent} sent live (${camera.watched ? 'watched' : 'not watched: keyframes only'}), epoch ${camera.epoch ?? '-'}, ${camera.events} events${last}${client}${camera.lastError ? `, last error${camera.lastErrorReason ? ` (${camera.lastErrorReason})` : ''}: ${camera.lastError}` : ''}`,
      );
    }
  });

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof AgentError || error instanceof RelayError) {
    console.error(`device-agent: ${error.message}`);
    process.exit(error instanceof AgentError && error.code === 'LOCKED' ? 3 : 2);
  }
  throw error;
}
