#!/usr/bin/env node
/**
 * `npm start`: the whole system on this machine — a relay (in-memory store, only an API), the web
 * viewer served from an origin of its own (port + 1), a device agent with two synthetic cameras,
 * and a pairing link that pairs the first browser that opens it. Ctrl-C stops everything. State (the demo device's identity) is kept in .sealcam-demo/.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_PROGRAM } from '@sealcam/device-agent/program';
import { relayProgramArgs } from '@sealcam/relay/launcher';
import { Command, InvalidArgumentError } from 'commander';
import { startAppHost } from '../node/app-host.js';

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = resolve(here, '..', '..', 'webapp');

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('a TCP port, 0–65535');
  return port;
}

const options = new Command('npm start --')
  .description(
    'The whole sealcam system on this machine: a relay (in-memory store, 127.0.0.1), the web viewer on its own ' +
      'origin (the next port), a device agent with two synthetic cameras, and a pairing link for a browser. ' +
      'Ctrl-C stops everything.',
  )
  .option(
    '--port <port>',
    'relay port on 127.0.0.1, 0 = any free one (env SEALCAM_DEMO_PORT)',
    portNumber,
    portNumber(process.env.SEALCAM_DEMO_PORT ?? '8080'),
  )
  .option(
    '--state <dir>',
    "the demo device's state (env SEALCAM_DEMO_STATE)",
    process.env.SEALCAM_DEMO_STATE ?? '.sealcam-demo',
  )
  .parse()
  .opts<{ port: number; state: string }>();
const stateDir = resolve(options.state);
const port = options.port;
/** The web app's own origin, apart from the relay's: the relay cannot replace the app. */
const appPort = port === 0 ? 0 : port === 65535 ? 65534 : port + 1;
const say = (line: string) => console.log(`demo: ${line}`);
/** sealcam-relay's exit status when it cannot listen (relay/src/usage.ts). */
const RELAY_EXIT_LISTEN = 3;

const children: ChildProcess[] = [];
let stopping = false;

function start(name: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.once('exit', (code, signal) => {
    // The port was taken between ensurePortFree() and the relay's listen.
    if (name === 'relay' && code === RELAY_EXIT_LISTEN && !stopping) portInUse();
    if (!stopping) {
      console.error(`demo: ${name} exited (${signal ?? code}); stopping`);
      void stopAll(1);
    }
  });
  return child;
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let buffer = '';
  const feed = (data: Buffer) => {
    buffer += String(data);
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      onLine(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf('\n');
    }
  };
  child.stdout?.on('data', feed);
  child.stderr?.on('data', feed);
}

async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(force);
    }),
  );
  process.exit(code);
}

/** Resolves when nothing listens on 127.0.0.1:port; else says which option moves the demo, and exits. */
async function ensurePortFree(port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  const error = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    probe.once('error', done);
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(undefined)));
  });
  if (error?.code === 'EADDRINUSE') portInUse(port);
  if (error) throw error;
}

function portInUse(taken = port): never {
  console.error(
    `demo: port ${taken} on 127.0.0.1 is already in use (another sealcam, or another program); start on other ports: npm start -- --port ${port >= 65534 ? 8082 : port + 2}`,
  );
  process.exit(1);
}

if (!existsSync(join(webRoot, 'index.html'))) {
  console.error(`demo: the web viewer is not built (${webRoot}); run "npm start" from the repository root`);
  process.exit(2);
}

await ensurePortFree(port);
await ensurePortFree(appPort);

// 1. The web viewer, from an origin of its own; then the relay, only an API that allows that origin.
const appHost = await startAppHost({ root: webRoot, port: appPort, relays: [] });
const appUrl = appHost.url;
// Run as operators run it: the relay's own heap flags and import condition (@sealcam/relay/launcher).
say(`starting the relay on 127.0.0.1:${port}…`);
const relay = start('relay', relayProgramArgs(), {
  SEALCAM_HOST: '127.0.0.1',
  SEALCAM_PORT: String(port),
  // The admin listener (metrics) on any free loopback port: 9090 may be taken on a desktop.
  SEALCAM_ADMIN_PORT: '0',
  SEALCAM_APP_ORIGINS: appUrl,
  SEALCAM_LOG_LEVEL: 'warn',
});
const relayUrl = await new Promise<string>((resolveUrl, reject) => {
  const timer = setTimeout(() => reject(new Error('the relay did not start')), 15_000);
  lines(relay, (line) => {
    const match = /listening on (http:\/\/\S+)/.exec(line);
    if (match) {
      clearTimeout(timer);
      resolveUrl(match[1]!);
    } else if (line.trim() && !line.includes('already in use')) console.error(`relay: ${line}`);
  });
});
appHost.setRelays([relayUrl]);
say(`relay (only an API): ${relayUrl}; web viewer (its own origin): ${appUrl}`);

// 2. The device agent with two synthetic cameras: H.264 (and a tone as AAC on the first) passed
// through as real cameras are, when ffmpeg is there to encode the test picture; JPEG otherwise.
mkdirSync(stateDir, { recursive: true, mode: 0o700 });
const h264 = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
if (!h264)
  say(
    'ffmpeg was not found: the demo cameras send JPEG pictures. Install ffmpeg (e.g. apt-get install ffmpeg) to see the path real cameras take: their own H.264 and AAC, sealed without re-encoding.',
  );
const camera = (id: string, name: string, motionEverySeconds: number, audio: boolean) => ({
  id,
  // What viewers see (sealed in the device's profile); `name` is the text drawn on the picture.
  displayName: name[0] + name.slice(1).toLowerCase(),
  source: 'synthetic',
  ...(h264 ? { codec: 'h264', audio } : {}),
  name,
  width: 960,
  height: 540,
  fps: 10,
  quality: 65,
  motionEverySeconds,
  motionSeconds: 2,
  motion: { cooldownSeconds: 3, endAfterSeconds: 1, backgroundSeconds: 1 },
});
writeFileSync(
  join(stateDir, 'config.json'),
  JSON.stringify(
    {
      relayUrl,
      appUrl,
      gatewayName: 'Demo home',
      cameras: [camera('front-door', 'FRONT DOOR', 15, true), camera('backyard', 'BACKYARD', 22, false)],
    },
    null,
    2,
  ),
);
const agentArgs = (command: string[]) => [AGENT_PROGRAM, '--state', stateDir, ...command];
if (!existsSync(join(stateDir, 'identity.key'))) {
  say(`creating the demo device's identity in ${stateDir}…`);
  const init = spawnSync(process.execPath, agentArgs(['init']), { encoding: 'utf8' });
  if (init.status !== 0) {
    console.error(`demo: sealcam-agent init failed: ${init.stderr}`);
    await stopAll(1);
  }
}
say(`starting the device agent with two synthetic cameras (${h264 ? 'H.264 + AAC' : 'JPEG'})…`);
const agent = start('device agent', agentArgs(['run']), { SEALCAM_AGENT_LOG_LEVEL: 'warn' });
lines(agent, (line) => {
  if (line.includes('"level":50') || line.includes('"level":60')) console.error(`agent: ${line}`);
});

// 3. A pairing link, renewed whenever it was used or expired, so another browser can join later.
function offerPairing(): void {
  if (stopping) return;
  const pairing = spawn(process.execPath, agentArgs(['pair', '--no-qr']), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(pairing);
  lines(pairing, (line) => {
    const link = /pairing link: (\S+)/.exec(line)?.[1];
    if (link) {
      console.log('');
      console.log('  sealcam is running: relay, device agent with two cameras, web viewer.');
      console.log('  Open this link in a browser to pair it with the cameras (one browser per link):');
      console.log('');
      console.log(`    ${link}`);
      console.log('');
      console.log(`  Already paired browsers: ${appUrl}/   ·   Ctrl-C stops everything.`);
    }
    const safety = /safety number: (.+)/.exec(line)?.[1];
    if (safety) console.log(`  paired a viewer; safety number ${safety} (the viewer shows the same)`);
  });
  pairing.once('exit', () => {
    children.splice(children.indexOf(pairing), 1);
    setTimeout(offerPairing, 500).unref();
  });
}
offerPairing();

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
