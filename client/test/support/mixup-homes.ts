import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64Url, ID_TEXT_SOURCE, importIdentity, parseCard, type StreamId } from '@sealcam/protocol';
import { createAgent, streamIdOf, type TestAgent } from '@sealcam/testkit/agent';
import { until } from '@sealcam/testkit/poll';
import { nodeWebSocket } from '../../src/node/index.js';
import { type DeviceId, type LiveFrame, MemoryKeyStore, Viewer, ViewerError } from '../../src/sdk/index.js';
import { LiveTruth, objectDevice, type TruthHome } from './provenance.js';
import { type RelayFront, redirectedViewerState, type ServedObject, startRelayFront } from './relay-front.js';
import { type CliRun, runViewerCli } from './viewer-cli.js';

/**
 * Two (or more) homes on one mixed-up relay (SEALCAM_FAULT_INJECTION=mixup), each a real device agent
 * with one camera and its own viewer, the viewer reaching the relay through a recording front under
 * its own session: the test knows which camera made each object it was served (public headers; for
 * live frames, which camera's key opens them). Shared by the JPEG and the H.264 mix-up tests.
 */
interface HomeBase {
  readonly agent: TestAgent;
  /** The camera's configured id, which is also its name in the device's profile ('cam-a'). */
  readonly camera: string;
  /** Its opaque stream id on the wire (PROTOCOL.md §9.4). */
  readonly stream: StreamId;
  readonly deviceId: string;
  readonly front: RelayFront;
  readonly truth: TruthHome;
}

export interface SdkHome extends HomeBase {
  readonly deviceId: DeviceId;
  readonly viewer: Viewer;
}

export interface CliHome extends HomeBase {
  /** The viewer's state file, its camera reached through `front`. */
  readonly state: string;
}

/** One home per camera configuration, paired with an SDK viewer. */
export async function sdkHomes(
  relayBase: string,
  cameras: readonly Record<string, unknown>[],
): Promise<SdkHome[]> {
  const homes: SdkHome[] = [];
  for (const config of cameras) {
    const camera = String(config.id);
    const agent = createAgent(relayBase, [config]);
    const store = new MemoryKeyStore();
    const pairing = await Viewer.open({ store, WebSocket: nodeWebSocket });
    const { code } = await agent.pairingCode();
    const { deviceId } = await pairing.pair(code);
    pairing.close();
    await agent.run();
    const stream = await streamIdOf(agent.stateDir, camera);
    // The same viewer state, its camera reached through a recording front under its own session.
    const state = (await store.load())!;
    const front = await startRelayFront(relayBase, importIdentity(fromBase64Url(state.identity as string)));
    const redirected = new MemoryKeyStore();
    await redirected.save({ ...state, cameras: state.cameras.map((c) => ({ ...c, relayUrl: front.base })) });
    const viewer = await Viewer.open({ store: redirected, WebSocket: nodeWebSocket });
    const truth: TruthHome = {
      deviceId,
      streamId: stream,
      viewer: viewer.keys.inMemory!,
      device: parseCard(fromBase64Url(state.cameras[0]!.card)),
    };
    homes.push({ agent, camera, stream, deviceId, viewer, front, truth });
  }
  return homes;
}

/** One home per camera configuration, paired with the viewer CLI (state files under `dir`). */
export async function cliHomes(
  relayBase: string,
  dir: string,
  cameras: readonly Record<string, unknown>[],
): Promise<CliHome[]> {
  const homes: CliHome[] = [];
  for (const config of cameras) {
    const camera = String(config.id);
    const agent = createAgent(relayBase, [config]);
    const pairedState = join(dir, `${camera}.json`);
    const { code, done } = await agent.pairingCode();
    const paired = await runViewerCli(pairedState, ['pair', code], 180_000);
    assert.equal(paired.status, 0, paired.stderr);
    assert.equal(await done, 0);
    const deviceId = new RegExp(`camera id: +(${ID_TEXT_SOURCE})`).exec(paired.stdout)?.[1] ?? '';
    await agent.run();
    const stream = await streamIdOf(agent.stateDir, camera);
    const state = JSON.parse(readFileSync(pairedState, 'utf8')) as {
      identity: string;
      cameras: { card: string }[];
    };
    const viewer = importIdentity(fromBase64Url(state.identity));
    const front = await startRelayFront(relayBase, viewer);
    homes.push({
      agent,
      camera,
      stream,
      state: redirectedViewerState(pairedState, front.base),
      deviceId,
      front,
      truth: { deviceId, streamId: stream, viewer, device: parseCard(fromBase64Url(state.cameras[0]!.card)) },
    });
  }
  return homes;
}

export async function closeHomes(homes: readonly (SdkHome | CliHome)[]): Promise<void> {
  for (const home of homes) {
    if ('viewer' in home) home.viewer.close();
    await home.front.close();
    await home.agent.stop();
  }
}

/** The objects `home` was served since `mark` (an index into its front's record) that another camera made. */
export function foreignServedSince(home: HomeBase, mark: number): string[] {
  return home.front.served
    .slice(mark)
    .filter((object) => object.status === 200)
    .filter((object) => {
      const maker = objectDevice(object.bytes);
      return maker !== null && maker !== home.deviceId;
    })
    .map((object) => object.path);
}

/**
 * The paths whose last answer since `mark` was another camera's object: what a call that succeeded
 * could have accepted. (An earlier answer for a path that the SDK refused and asked for again is not.)
 */
export function foreignLastAnswersSince(home: HomeBase, mark: number): string[] {
  const last = new Map<string, ServedObject>();
  for (const object of home.front.served.slice(mark)) last.set(object.path, object);
  return [...last.values()]
    .filter((object) => object.status === 200)
    .filter((object) => {
      const maker = objectDevice(object.bytes);
      return maker !== null && maker !== home.deviceId;
    })
    .map((object) => object.path);
}

/** SDK calls on a mixed-up relay, with what was refused (by reason) and how many foreign objects were served. */
export class MixupCalls {
  readonly rejected = new Map<string, number>();
  foreignServed = 0;

  /** Counts a ViewerError by reason (it must have a message a UI can show); anything else is rethrown. */
  readonly reject = (error: unknown): void => {
    if (!(error instanceof ViewerError)) throw error;
    this.rejected.set(error.reason, (this.rejected.get(error.reason) ?? 0) + 1);
    assert.ok(error.userMessage.length > 0);
  };

  /**
   * One SDK call. Objects served during it are the call's: if it succeeded, the last answer for each
   * path it asked for was its own camera's (an earlier, foreign one was refused and asked for again).
   */
  async call<T>(home: SdkHome, work: () => Promise<T>): Promise<T | null> {
    const mark = home.front.served.length;
    let result: T | null = null;
    try {
      result = await work();
    } catch (error) {
      this.reject(error);
    }
    this.foreignServed += foreignServedSince(home, mark).length;
    if (result !== null)
      assert.deepEqual(
        foreignLastAnswersSince(home, mark),
        [],
        'content accepted in a call whose last answer for a path was another camera object',
      );
    return result;
  }
}

/**
 * Both homes watch their camera live at once (the fan-out hands frames of one stream to the other's
 * viewers) until `enough` holds (bounded: 90 s), rejections going to `calls`. Returns the frames each
 * viewer accepted and the ground truth, which has learnt every camera's keys from the manifests served.
 */
export async function watchMixedUp(
  homes: readonly SdkHome[],
  calls: MixupCalls,
  enough: (shown: ReadonlyMap<SdkHome, readonly LiveFrame[]>, truth: LiveTruth) => boolean,
  what: string,
): Promise<{ shown: Map<SdkHome, LiveFrame[]>; truth: LiveTruth }> {
  const truth = new LiveTruth(homes.map((home) => home.truth));
  const shown = new Map<SdkHome, LiveFrame[]>(homes.map((home) => [home, []]));
  const subscriptions = homes.map((home) =>
    home.viewer.watch(home.deviceId, home.stream, {
      onFrame: (frame) => shown.get(home)!.push(frame),
      onRejected: calls.reject,
    }),
  );
  try {
    await until(
      () => {
        truth.learn(homes.flatMap((home) => home.front.live));
        return enough(shown, truth);
      },
      90_000,
      what,
    );
  } finally {
    for (const subscription of subscriptions) subscription.close();
  }
  truth.learn(homes.flatMap((home) => home.front.live));
  return { shown, truth };
}

/** Event ids as the (misrouting) relay lists them to the CLI: each home's own and the other's, mixed. */
export async function listedEventIds(homes: readonly CliHome[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const home of homes) {
    const run = await runViewerCli(home.state, ['events', home.deviceId, '--json'], 180_000);
    if (run.status !== 0) continue;
    for (const event of (JSON.parse(run.stdout) as { events: { eventId: string }[] }).events)
      ids.add(event.eventId);
  }
  return [...ids];
}

/** What `get` runs on a mixed-up relay came to. */
export interface GetOutcomes {
  verified: number;
  rejected: Map<string, number>;
  refused: number;
  foreignServed: number;
}

/**
 * A `get` that did not succeed wrote nothing under `out` and printed one line: REJECTED with its
 * reason (exit 3, counted by reason), or the relay's refusal of a misrouted "not found" (exit 2).
 */
export function refusedGet(run: CliRun, out: string, outcomes: GetOutcomes): void {
  assert.ok(!existsSync(out), `nothing written after exit ${run.status}: ${run.stderr}`);
  assert.equal(run.stdout, '', 'no record printed');
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  if (run.status === 3) {
    const reason = /^REJECTED: .+ \(([A-Z_]+)\)$/.exec(run.stderr.trim())?.[1];
    assert.ok(reason, run.stderr);
    outcomes.rejected.set(reason, (outcomes.rejected.get(reason) ?? 0) + 1);
  } else {
    // A misrouted "not found" (the seam hands over another lookup's empty answer): the relay's refusal.
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr.trim(), 'viewer: The relay refused the request.');
    outcomes.refused++;
  }
}

/** What a `get` that wrote printed with `--record` (the parts the mix-up tests check). */
export interface GetView {
  readonly eventId: string;
  readonly record: { readonly streamId: string; readonly clip?: { readonly type: string } };
}

/**
 * Waits (up to `listMs`) until the homes list at least three events between them, then runs `get`
 * of those three by every home, writing each run's thumbnail.jpg and `clip` (a directory or a file
 * name) into a new directory under `dir`: two rounds, and on while `more(outcomes)` holds (at most
 * 12 rounds in all). Objects served during a run are the run's. A run that wrote was served nothing
 * of another camera's and printed the event asked for, from the own camera; `written` checks what it
 * wrote. A run that did not write is counted by `refusedGet`. Returns what the runs came to.
 */
export async function getListedEvents(
  homes: readonly CliHome[],
  dir: string,
  options: {
    readonly listMs: number;
    readonly clip: string;
    readonly written: (home: CliHome, out: string, view: GetView) => Promise<void>;
    readonly more?: (outcomes: GetOutcomes) => boolean;
  },
): Promise<GetOutcomes> {
  const ids = await until(
    async () => {
      const listed = await listedEventIds(homes);
      return listed.length >= 3 ? listed : null;
    },
    options.listMs,
    'events from both homes',
  );
  const outcomes: GetOutcomes = { verified: 0, rejected: new Map(), refused: 0, foreignServed: 0 };
  let index = 0;
  for (let round = 0; round < 2 || (round < 12 && (options.more?.(outcomes) ?? false)); round++) {
    for (const home of homes) {
      for (const eventId of ids.slice(0, 3)) {
        const out = join(dir, `get-${index++}`);
        const mark = home.front.served.length;
        const run = await runViewerCli(
          home.state,
          [
            'get',
            home.deviceId,
            eventId,
            '--thumbnail',
            join(out, 'thumbnail.jpg'),
            '--clip',
            join(out, options.clip),
            '--record',
          ],
          180_000,
        );
        outcomes.foreignServed += foreignServedSince(home, mark).length;
        if (run.status !== 0) {
          refusedGet(run, out, outcomes);
          continue;
        }
        assert.deepEqual(
          foreignLastAnswersSince(home, mark),
          [],
          'written although the last answer for a path in that run was another camera object',
        );
        const view = JSON.parse(run.stdout) as GetView;
        assert.equal(view.eventId, eventId);
        assert.equal(view.record.streamId, home.stream, 'a written event is always from the own camera');
        await options.written(home, out, view);
        outcomes.verified++;
      }
    }
  }
  return outcomes;
}

/**
 * The reasons of a `live` run's `REJECTED <n>x: ... (<REASON>)` lines; none is an access or relay
 * failure (a frame of another camera is refused by what opening it found, not by the relay).
 */
export function liveRejectedReasons(stderr: string): string[] {
  const reasons = [...stderr.matchAll(/^REJECTED (\d+)x: .+ \(([A-Z_]+)\)$/gm)].map((match) => match[2]!);
  for (const reason of reasons)
    assert.ok(!['NO_GRANT', 'REVOKED', 'RELAY_ERROR', 'UNREACHABLE', 'NOT_PAIRED'].includes(reason), reason);
  return reasons;
}
