import { rm } from 'node:fs/promises';
import { ready } from '@sealcam/protocol';
import pLimit from 'p-limit';
import { jpegTemplate } from './content.js';
import { PlainViewer } from './plain-viewer.js';
import { SimDevice } from './sim-device.js';
import { type DrillViewer, SealedViewer } from './sim-viewer.js';
import { emptyTally } from './tally.js';
import { installFetchTap } from './wire-tap.js';
import type { FromWorker, Phase, PhaseResult, ToWorker, WorkerSetup } from './worker-protocol.js';

/** One drill worker process: a share of the homes (devices and their viewers), run phase by phase. */
const tally = emptyTally();
let setup: WorkerSetup;
let template: Uint8Array;
const homes: { device: SimDevice; viewers: DrillViewer[] }[] = [];

const LIVE_INTERVAL_MS = 200;
const LIVE_MIN_FRAMES = 3;
// A bound, not a pace: a wave ends as soon as every viewer saw LIVE_MIN_FRAMES, however busy the machine.
const LIVE_WAVE_TIMEOUT_MS = 60_000;
const DELIVER_TIMEOUT_MS = 5 * 60_000;
/** A device not connected by then is left out of connectMs (the report counts who came back). */
const CONNECT_TIMEOUT_MS = 5 * 60_000;

function send(message: FromWorker): void {
  process.send?.(message);
}

async function forEachHome(work: (home: (typeof homes)[number]) => Promise<void>): Promise<void> {
  const limit = pLimit(setup.concurrency);
  await Promise.all(homes.map((home) => limit(() => work(home))));
}

async function connectAll(): Promise<PhaseResult> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), CONNECT_TIMEOUT_MS);
  });
  const connected = await Promise.all(homes.map(({ device }) => Promise.race([device.connect(), deadline])));
  clearTimeout(timer);
  const connectMs = connected.filter((ms): ms is number => ms !== null);
  return { connectMs, allConnectedMs: performance.now() - started };
}

const phases: Record<Phase, () => Promise<PhaseResult>> = {
  async pair() {
    await forEachHome(async (home) => {
      for (const [index, viewer] of home.viewers.entries())
        await home.device.pair((code) => viewer.pair(code, index));
      await home.device.activate();
    });
    return {};
  },
  async upload() {
    await forEachHome(async ({ device }) => {
      for (let n = 0; n < setup.eventsBefore; n++) device.recordEvent(n);
      await device.deliver(DELIVER_TIMEOUT_MS);
    });
    return {};
  },
  connect: connectAll,
  async stream() {
    for (let round = 0; round < 2; round++) {
      for (const { device } of homes) device.sendFrame();
      await new Promise((resolve) => setTimeout(resolve, LIVE_INTERVAL_MS));
    }
    return {};
  },
  async offline() {
    await Promise.all(homes.map(({ device }) => device.disconnect()));
    return {};
  },
  online: connectAll,
  async reupload() {
    await forEachHome(async ({ device }) => {
      for (let n = 0; n < setup.eventsAfter; n++) device.recordEvent(setup.eventsBefore + n);
      device.requeueFirstEvent();
      await device.deliver(DELIVER_TIMEOUT_MS);
    });
    return {};
  },
  async view() {
    await forEachHome(async ({ viewers }) => {
      for (const viewer of viewers) await viewer.readStored();
    });
    for (let from = 0; from < homes.length; from += setup.liveWave)
      await liveWave(homes.slice(from, from + setup.liveWave));
    return {};
  },
};

/** Viewers of a wave watch while their cameras stream, until each saw a few pictures (bounded in time). */
async function liveWave(wave: typeof homes): Promise<void> {
  const viewers = wave.flatMap((home) => home.viewers);
  for (const viewer of viewers) viewer.startLive();
  const deadline = Date.now() + LIVE_WAVE_TIMEOUT_MS;
  await new Promise((resolve) => setTimeout(resolve, LIVE_INTERVAL_MS));
  while (Date.now() < deadline && viewers.some((viewer) => viewer.liveFrames < LIVE_MIN_FRAMES)) {
    for (const { device } of wave) device.sendFrame();
    await new Promise((resolve) => setTimeout(resolve, LIVE_INTERVAL_MS));
  }
  for (const viewer of viewers) if (viewer.stopLive() === 0) tally.viewersWithoutLive++;
}

async function start(next: WorkerSetup): Promise<void> {
  setup = next;
  await ready();
  installFetchTap();
  template = await jpegTemplate();
  for (let home = setup.from; home < setup.to; home++) {
    const device = new SimDevice({
      relayUrl: setup.relayUrl,
      home,
      stateRoot: setup.stateRoot,
      plaintext: setup.plaintext,
      template,
      tally,
    });
    const viewers: DrillViewer[] = [];
    for (let k = 0; k < setup.viewersPerDevice; k++)
      viewers.push(
        setup.plaintext
          ? await PlainViewer.create(home, setup.relayUrl, tally)
          : await SealedViewer.create(home, tally),
      );
    homes.push({ device, viewers });
  }
}

async function finish(): Promise<void> {
  await Promise.all(homes.map(({ device }) => device.close()));
  for (const { viewers } of homes) for (const viewer of viewers) viewer.close();
  await rm(setup.stateRoot, { recursive: true, force: true });
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'setup') {
    start(message.setup).then(
      () => send({ type: 'ready' }),
      (error) => send({ type: 'failed', phase: 'setup', message: String(error) }),
    );
  } else if (message.type === 'phase') {
    phases[message.phase]().then(
      (result) => send({ type: 'done', phase: message.phase, result }),
      (error) => send({ type: 'failed', phase: message.phase, message: String(error?.stack ?? error) }),
    );
  } else if (message.type === 'report') {
    finish()
      .catch(() => undefined)
      .then(() => {
        // A large tally takes a while to write: leave only once it is out.
        process.send?.({ type: 'tally', tally } satisfies FromWorker, undefined, {}, () =>
          process.disconnect?.(),
        );
      });
  }
});
