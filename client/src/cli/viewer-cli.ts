#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  CLIP_CONTAINER_TYPE,
  CLIP_MP4_TYPE,
  Codec,
  type EventId,
  formatId,
  ID_TEXT_SOURCE,
  parseEventId,
  parseId,
  parseViewerId,
  SealError,
  type StreamId,
  type ViewerId,
} from '@sealcam/protocol';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_VIEWER_STATE, openNodeViewer, startAppHost } from '../node/index.js';
import { ViewerError } from '../sdk/errors.js';
import {
  type Camera,
  type CameraProfile,
  parseViewerCardCode,
  type RevocationTicket,
  type Viewer,
} from '../sdk/index.js';
import {
  bytesText,
  CliError,
  describeError,
  EXIT,
  exitCodeOf,
  groupedSafetyNumber,
  integerIn,
  parseTime,
  table,
  time,
} from './format.js';
import { runLive } from './live.js';
import { isMp4Path, type LiveOutput } from './live-sinks.js';
import { openedRow, printOpenedRows } from './opened-events.js';

interface GlobalOptions {
  state?: string;
  verbose?: boolean;
}

/** Pages `events --all` follows at most (each up to 500 events). */
const MAX_PAGES = 200;
/** The relay's listing cursor: `<time>:<event id>`. */
const CURSOR = new RegExp(`^[0-9]{1,16}:${ID_TEXT_SOURCE}$`);

const program = new Command('sealcam-viewer')
  .description(
    'sealcam viewer: pair with cameras, list and open their events, watch them live, share them. ' +
      'Everything shown is verified as signed by your camera and sealed for this viewer; anything else is ' +
      'refused with a reason (exit code 3). The relay sees nothing it could show.',
  )
  .option(
    '-s, --state <file>',
    `this viewer's keys and cameras, a 0600 JSON file (env SEALCAM_VIEWER_STATE; default ${DEFAULT_VIEWER_STATE.replace(homedir(), '~')})`,
  )
  .option('-v, --verbose', 'add the technical detail to error messages')
  .addHelpText(
    'after',
    '\nExit codes: 0 done, 1 usage error, 2 refused or unavailable (relay, access, files), 3 content failed verification (nothing of it was shown or written).',
  )
  .showHelpAfterError();

function globals(): GlobalOptions {
  return program.opts<GlobalOptions>();
}

function statePath(): string {
  const given = globals().state ?? process.env.SEALCAM_VIEWER_STATE;
  if (!given) return DEFAULT_VIEWER_STATE;
  return resolve(given.startsWith('~/') ? join(homedir(), given.slice(2)) : given);
}

async function withViewer<T>(use: (viewer: Viewer) => Promise<T>): Promise<T> {
  const path = statePath();
  let viewer: Viewer;
  try {
    viewer = await openNodeViewer(path);
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof SealError)
      throw new CliError(`the viewer state ${path} is unreadable (${error.message})`);
    throw error;
  }
  try {
    return await use(viewer);
  } finally {
    await viewer.close();
  }
}

/** A camera by id (any case, with or without spaces or dashes), by name, or by a unique id prefix. */
function findCamera(viewer: Viewer, given: string): Camera {
  const cameras = viewer.cameras();
  let normalised: string | undefined;
  try {
    normalised = formatId(parseId(given));
  } catch {
    normalised = undefined;
  }
  const exact = cameras.find((camera) => camera.deviceId === normalised);
  if (exact) return exact;
  const named = cameras.filter((camera) => camera.name.toLowerCase() === given.trim().toLowerCase());
  if (named.length === 1) return named[0]!;
  const prefix = given.replace(/[\s-]/g, '').toLowerCase();
  const prefixed = prefix.length >= 4 ? cameras.filter((camera) => camera.deviceId.startsWith(prefix)) : [];
  if (prefixed.length === 1) return prefixed[0]!;
  if (named.length + prefixed.length > 1)
    throw new CliError(
      `"${given}" matches more than one camera: use the camera id ("sealcam-viewer cameras")`,
    );
  throw new ViewerError('NOT_PAIRED', 'relay', given);
}

function ownerOnly(camera: Camera, what: string): void {
  if (camera.access !== 'owner')
    throw new CliError(
      `only the camera's owner can ${what}; this viewer has viewer access to "${camera.name}"`,
    );
}

function eventId(given: string): EventId {
  try {
    parseId(given);
    return parseEventId(given);
  } catch {
    throw new CliError(`"${given}" is not an event id (26 base32 characters)`);
  }
}

/** What pairing or accepting an invite added, with the safety number to compare. */
function printCamera(verb: string, camera: Camera): void {
  console.log(`${verb} camera "${camera.name}"`);
  console.log(`camera id:     ${camera.deviceId}`);
  console.log(`fingerprint:   ${camera.fingerprint}`);
  console.log(`access:        ${camera.access}`);
  console.log(`safety number: ${camera.safetyNumber}`);
  console.log(
    'compare it with the safety number the device shows: they must be equal. If they differ, someone\n' +
      'may be in the middle: remove this camera and pair again.',
  );
}

program
  .command('pair')
  .description('pair with a camera: answer the code (or link) the device agent shows')
  .argument('<code-or-link>', 'the SCP1-… pairing code, or the pairing link that contains it')
  .option('--name <viewer name>', 'how this viewer is named on the device', 'viewer')
  .option('--camera-name <name>', 'how the camera is named here')
  .option('--timeout <seconds>', 'how long to wait for the device', integerIn(1, 600), 60)
  .action(async (code: string, options: { name: string; cameraName?: string; timeout: number }) => {
    await withViewer(async (viewer) => {
      const camera = await viewer
        .pair(code, {
          name: options.name,
          ...(options.cameraName ? { cameraName: options.cameraName } : {}),
          timeoutMs: options.timeout * 1000,
        })
        .catch((error: unknown) => {
          if (error instanceof ViewerError && error.reason === 'TIMEOUT')
            throw new CliError(
              `the camera did not answer within ${options.timeout} s: is "sealcam-agent pair" still showing this code?`,
            );
          throw error;
        });
      printCamera('paired with', camera);
    });
  });

program
  .command('cameras')
  .description(
    'the cameras paired with (or shared with) this viewer, with the names each device gives its cameras ' +
      '(opened from its sealed profile; the names last opened when the relay cannot be reached)',
  )
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    await withViewer(async (viewer) => {
      for (const camera of viewer.cameras())
        await viewer.profile(camera.deviceId).catch((error: unknown) => {
          // The names last opened are shown; a relay serving an older list is said, not hidden.
          if (error instanceof ViewerError && error.reason === 'ROLLBACK')
            console.error(`warning: ${camera.deviceId}: ${describeError(error, globals().verbose === true)}`);
        });
      const cameras = viewer.cameras();
      if (options.json) {
        console.log(
          JSON.stringify(
            cameras.map((c) => ({
              deviceId: c.deviceId,
              name: c.name,
              gatewayName: c.gatewayName,
              cameras: c.cameras,
              access: c.access,
              relayUrl: c.relayUrl,
              pairedAt: c.pairedAt,
              fingerprint: c.fingerprint,
              safetyNumber: c.safetyNumber,
            })),
            null,
            2,
          ),
        );
        return;
      }
      if (cameras.length === 0) {
        console.log(
          'no cameras yet: run "sealcam-viewer pair <code>" or "sealcam-viewer accept <invite code>"',
        );
        return;
      }
      const rows = cameras.flatMap((c) => [
        [c.deviceId, c.gatewayName ?? c.name, c.access, c.relayUrl, time(c.pairedAt)],
        ...c.cameras.map((stream) => [`  ${stream.streamId}`, `  ${stream.name}`, '', '', '']),
      ]);
      for (const line of table([['CAMERA ID', 'NAME', 'ACCESS', 'RELAY', 'PAIRED'], ...rows]))
        console.log(line);
    });
  });

program
  .command('rename')
  .description(
    'owner only: rename the gateway, or with --camera one of its cameras, for every viewer. The name is ' +
      'sealed to the device and signed by you; the relay carries it without reading it. Waits until the ' +
      "device's sealed profile shows it (exit 0), else says it is pending (exit 2)",
  )
  .argument('<deviceId>', 'camera id (or its name, or a unique id prefix)')
  .argument('<name>', 'the new name: 1 to 64 bytes, no control characters')
  .option('--camera <camera>', 'which camera of the device: its current name or stream id')
  .option('--wait <seconds>', 'how long to wait for the device to apply it', integerIn(0, 3600), 30)
  .action(async (device: string, name: string, options: { camera?: string; wait: number }) => {
    await withViewer(async (viewer) => {
      const camera = findCamera(viewer, device);
      const streamId = options.camera ? await viewer.streamNamed(camera.deviceId, options.camera) : null;
      await viewer.renameCamera(camera.deviceId, streamId, name);
      const applied = (profile: CameraProfile) =>
        streamId === null
          ? profile.gatewayName === name
          : profile.cameras.some((c) => c.streamId === streamId && c.name === name);
      const deadline = Date.now() + options.wait * 1000;
      for (;;) {
        const profile = await viewer.profile(camera.deviceId).catch(() => null);
        if (profile && applied(profile)) {
          console.log(`renamed: the device now names ${streamId ?? 'the gateway'} "${name}"`);
          return;
        }
        if (Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      console.log('sent: the device has not applied it yet (it does when it is online)');
      process.exitCode = 2;
    });
  });

interface EventsOptions {
  from?: number;
  to?: number;
  limit: number;
  after?: string;
  all?: boolean;
  open?: boolean;
  json?: boolean;
}

program
  .command('events')
  .summary("list a camera's events (time, stream, id) and the next cursor; --open verifies each")
  .description(
    "List a camera's events, oldest first as the relay lists them (time, stream, event id), then the " +
      'cursor for the next page. The listing itself is not verified (the relay could list anything); ' +
      '--open opens and verifies each record: an OK row shows the time and stream the camera sealed (never the ' +
      "relay's); one that does not verify is REJECTED (or UNAVAILABLE when the relay serves nothing) with the " +
      "relay's claims marked as not verified, and the exit code is 3; events not shared with you (recorded " +
      'before your access began or after it ended) are counted on one line and are not a failure.',
  )
  .argument('<deviceId>', 'camera id (or its name, or a unique id prefix)')
  .option('--from <time>', 'from this time (ISO 8601 or Unix ms)', parseTime)
  .option('--to <time>', 'up to this time (ISO 8601 or Unix ms)', parseTime)
  .option('--limit <n>', 'events per page', integerIn(1, 500), 100)
  .option(
    '--after <cursor>',
    'continue after this cursor (the "next" of a previous page)',
    (value: string) => {
      if (!CURSOR.test(value))
        throw new InvalidArgumentError('a cursor as printed after "next:" (digits, a colon, an event id)');
      return value;
    },
  )
  .option('--all', `follow the cursor to the end (at most ${MAX_PAGES} pages)`)
  .option(
    '--open',
    'open and verify each record: start, end, stream, score, sizes; OK, REJECTED or UNAVAILABLE',
  )
  .option('--json', 'print JSON')
  .action(async (device: string, options: EventsOptions) => {
    if (options.from !== undefined && options.to !== undefined && options.to < options.from)
      throw new CliError('--to is before --from');
    await withViewer(async (viewer) => {
      const camera = findCamera(viewer, device);
      const listed: { eventId: EventId; streamId: StreamId; time: number; bytes: number }[] = [];
      let next: string | null = options.after ?? null;
      for (let page = 0; page < (options.all ? MAX_PAGES : 1); page++) {
        const result = await viewer.events(camera.deviceId, {
          ...(options.from !== undefined ? { from: options.from } : {}),
          ...(options.to !== undefined ? { to: options.to } : {}),
          limit: options.limit,
          ...(next ? { after: next } : {}),
        });
        listed.push(...result.events);
        next = result.next;
        if (!next) break;
      }
      if (!options.open) {
        // The relay's listing as it is: times and streams it claims (`--open` verifies each).
        if (options.json)
          console.log(JSON.stringify({ deviceId: camera.deviceId, events: listed, next }, null, 2));
        else {
          if (listed.length === 0) console.log('no events');
          for (const event of listed) console.log(`${time(event.time)}  ${event.streamId}  ${event.eventId}`);
          console.log(`next: ${next ?? 'none (end of the list)'}`);
        }
        return;
      }
      const rows = [];
      for (const event of listed) rows.push(await openedRow(viewer, camera.deviceId, event));
      const unverified = rows.filter(
        (row) => row.status === 'rejected' || row.status === 'unavailable',
      ).length;
      if (options.json) {
        console.log(JSON.stringify({ deviceId: camera.deviceId, events: rows, next }, null, 2));
      } else {
        const cameras = (await viewer.profile(camera.deviceId).catch(() => camera)).cameras;
        const names = new Map<string, string>(cameras.map((c) => [c.streamId, c.name]));
        printOpenedRows(rows, (streamId) => names.get(streamId) ?? streamId);
        console.log(`next: ${next ?? 'none (end of the list)'}`);
      }
      if (unverified > 0) process.exitCode = EXIT.rejected;
    });
  });

program
  .command('delete')
  .summary('owner: delete events of a camera from its relay (by id, or all before a time)')
  .description(
    'Ask the relay to delete events and everything stored with them (record, thumbnail, clip). Only the ' +
      "camera's owner may; the relay refuses anyone else. Deleting is a request: nothing can prove that a " +
      'relay forgot. --before deletes every event the relay lists before that time and needs --yes.',
  )
  .argument('<deviceId>', 'camera id (or its name, or a unique id prefix)')
  .argument('[eventIds...]', 'event ids, as `events` lists them')
  .option('--before <time>', 'every event before this time (ISO 8601 or Unix ms)', parseTime)
  .option('--yes', 'confirm --before (there is no undo)')
  .action(async (device: string, eventIds: string[], options: { before?: number; yes?: boolean }) => {
    if (eventIds.length > 0 === (options.before !== undefined))
      throw new InvalidArgumentError('give event ids or --before <time>, not both and not neither');
    if (options.before !== undefined && !options.yes)
      throw new InvalidArgumentError('--before deletes every event before that time: add --yes to confirm');
    const ids = eventIds.map(eventId);
    await withViewer(async (viewer) => {
      const camera = findCamera(viewer, device);
      ownerOnly(camera, 'delete its events');
      if (options.before !== undefined) {
        const { deleted, more } = await viewer.deleteEventsBefore(camera.deviceId, options.before);
        console.log(
          `deleted ${deleted} events before ${time(options.before)}${more ? '; more remain: run it again' : ''}`,
        );
        return;
      }
      for (const eventId of ids) {
        const result = await viewer.deleteEvent(camera.deviceId, eventId);
        console.log(
          result === 'deleted'
            ? `deleted    ${eventId}`
            : `not found  ${eventId} (deleted already, or expired)`,
        );
      }
    });
  });

program
  .command('get')
  .summary('open one event: write its verified thumbnail and clip, print its record')
  .description(
    'Open one event and verify everything before writing anything: the record, the thumbnail (JPEG), ' +
      "the clip. An H.264 camera's clip is an MP4: give --clip a file name ending in .mp4. A JPEG " +
      "camera's clip is a series of pictures: give --clip a directory (numbered JPEGs, capture time in ms " +
      'in the name). The other way round is an error that names the kind of clip. With no output option, ' +
      'prints the record. On a verification failure prints REJECTED with the reason, writes nothing and ' +
      'exits with code 3.',
  )
  .argument('<deviceId>', 'camera id (or its name, or a unique id prefix)')
  .argument('<eventId>', 'event id, as "sealcam-viewer events" lists it')
  .option('--thumbnail <file>', 'write the thumbnail JPEG to this file')
  .option(
    '--clip <file.mp4|dir>',
    'an MP4 clip: write it to this .mp4 file; a JPEG clip: write its frames to this directory as frame-<n>-<capture ms>.jpg',
  )
  .option('--record', 'print the verified record as JSON')
  .action(
    async (
      device: string,
      event: string,
      options: { thumbnail?: string; clip?: string; record?: boolean },
    ) => {
      const id = eventId(event);
      await withViewer(async (viewer) => {
        const camera = findCamera(viewer, device);
        const view = await viewer.openEvent(camera.deviceId, id);
        if (options.thumbnail && !view.record.thumbnail) throw new CliError('this event has no thumbnail');
        const clip = view.record.clip;
        if (options.clip && !clip) throw new CliError('this event has no clip');
        const clipAsMp4 = options.clip !== undefined && isMp4Path(options.clip);
        if (options.clip && clip) checkClipPath(options.clip, clip.type);
        // Everything is fetched and verified first: a failure anywhere leaves nothing written.
        const thumbnail = options.thumbnail ? await viewer.thumbnail(camera.deviceId, id) : undefined;
        const file = options.clip && clipAsMp4 ? await viewer.clipFile(camera.deviceId, id) : undefined;
        const frames = options.clip && !clipAsMp4 ? await viewer.clip(camera.deviceId, id) : undefined;
        if (options.record || (!options.thumbnail && !options.clip)) {
          console.log(
            JSON.stringify(
              {
                deviceId: view.deviceId,
                eventId: view.eventId,
                streamId: view.streamId,
                record: view.record,
              },
              null,
              2,
            ),
          );
        }
        if (options.thumbnail && thumbnail) {
          await writeOutput(options.thumbnail, thumbnail);
          console.error(`thumbnail: ${options.thumbnail} (${bytesText(thumbnail.length)})`);
        }
        if (options.clip && file) {
          await writeOutput(options.clip, file.bytes);
          console.error(
            `clip: ${options.clip} (MP4, ${clip?.frames ?? 0} video frames, ${bytesText(file.bytes.length)})`,
          );
        }
        if (options.clip && frames) {
          const extension = clip?.codec === Codec.Jpeg ? 'jpg' : 'bin';
          let total = 0;
          for (const [index, frame] of frames.entries()) {
            const name = `frame-${String(index + 1).padStart(4, '0')}-${frame.capturedAt}.${extension}`;
            await writeOutput(join(options.clip, name), frame.image);
            total += frame.image.length;
          }
          console.error(`clip: ${frames.length} frames in ${options.clip} (${bytesText(total)})`);
        }
      });
    },
  );

/** An MP4 clip goes to a .mp4 file, a JPEG clip to a directory: a mismatch is said before anything is fetched. */
function checkClipPath(path: string, type: string): void {
  const mp4Clip = type === CLIP_MP4_TYPE;
  if (isMp4Path(path) && !mp4Clip)
    throw new CliError(
      `this event's clip is JPEG pictures (${type}), not an MP4: give --clip a directory for its frames`,
    );
  if (!isMp4Path(path) && mp4Clip)
    throw new CliError(`this event's clip is an MP4 (H.264): give --clip a file name ending in .mp4`);
  if (!mp4Clip && type !== CLIP_CONTAINER_TYPE)
    throw new CliError(`this event's clip has a type this viewer does not write (${type})`);
}

async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

program
  .command('live')
  .summary('watch a camera stream: write verified frames (JPEGs, an MP4, a raw stream), or print stats')
  .description(
    'Watch a camera stream. --out <dir>: each verified frame as a file (JPEG cameras: .jpg; H.264 ' +
      'cameras: .h264 access units and .aac audio frames). --out <file.mp4>: H.264 cameras only, a ' +
      'fragmented MP4 (video from the first keyframe, plus the audio if the camera sends it) written as ' +
      'the frames arrive, readable while it grows, finished on exit. --stdout: the raw video for a player ' +
      '(sealcam-viewer live <gateway> <camera> --stdout | ffplay -): H.264 from the first keyframe without ' +
      'audio, or the JPEGs back to back (MJPEG); messages go to stderr. Without an output, stats every ' +
      'second (frames/s, bytes, key epoch, rejections by reason). Stops after --seconds, --frames or ' +
      'Ctrl-C. Exits with code 3 if anything was rejected (the reasons are printed), 2 if the relay ' +
      'refused the subscription, no frame arrived or the output could not be written.',
  )
  .argument('<deviceId>', 'camera id (or its name, or a unique id prefix)')
  .argument('<camera>', "the camera's name as the device gives it (see `cameras`), or its stream id")
  .option(
    '--out <dir|file.mp4>',
    'a path ending in .mp4: one MP4 file (H.264 cameras); else a directory of frames',
  )
  .option('--stdout', 'write the raw video stream to stdout, for a player reading a pipe')
  .option('--seconds <n>', 'stop after this many seconds', integerIn(1, 86_400), 10)
  .option(
    '--frames <n>',
    'stop after this many video frames (default 100 with --out <dir>)',
    integerIn(1, 10_000_000),
  )
  .action(
    async (
      device: string,
      cameraName: string,
      options: { out?: string; stdout?: boolean; seconds: number; frames?: number },
    ) => {
      if (options.out && options.stdout) throw new CliError('give --out or --stdout, not both');
      if (options.stdout && process.stdout.isTTY)
        throw new CliError('--stdout writes binary video: pipe it into a player (… --stdout | ffplay -)');
      const output: LiveOutput = options.stdout
        ? { kind: 'stdout' }
        : options.out
          ? { kind: isMp4Path(options.out) ? 'mp4' : 'directory', path: options.out }
          : { kind: 'stats' };
      await withViewer(async (viewer) => {
        const camera = findCamera(viewer, device);
        const streamId = await viewer.streamNamed(camera.deviceId, cameraName).catch(() => {
          throw new CliError(
            `no camera called "${cameraName}" on ${camera.deviceId} (see "sealcam-viewer cameras")`,
          );
        });
        const frames = options.frames ?? (output.kind === 'directory' ? 100 : undefined);
        process.exitCode = await runLive(viewer, camera.deviceId, streamId, {
          output,
          seconds: options.seconds,
          ...(frames !== undefined ? { frames } : {}),
          verbose: globals().verbose === true,
        });
      });
    },
  );

program
  .command('share-code')
  .description(
    'print this viewer\'s share code: give it to a camera\'s owner, who runs "sealcam-viewer share" with it',
  )
  .action(async () => {
    await withViewer(async (viewer) => {
      console.log(viewer.shareCode());
      console.error(`viewer id: ${viewer.id} (the share code is public: it holds no secret)`);
    });
  });

program
  .command('share')
  .description('owner only: let another viewer see a camera; prints the invite code to give that viewer')
  .argument('<deviceId>', 'camera id (or its name, or a unique id prefix)')
  .argument('<share-code>', 'the other viewer\'s SCV1-… code ("sealcam-viewer share-code" there)')
  .option('--expires <time>', 'the access ends at this time (ISO 8601 or Unix ms)', parseTime)
  .action(async (device: string, code: string, options: { expires?: number }) => {
    if (options.expires !== undefined && options.expires <= Date.now())
      throw new CliError('--expires is in the past');
    await withViewer(async (viewer) => {
      const camera = findCamera(viewer, device);
      ownerOnly(camera, 'share it');
      const grantee = formatId(parseViewerCardCode(code).id);
      if (grantee === viewer.id) throw new CliError("that is this viewer's own share code");
      const invite = await viewer.grant(
        camera.deviceId,
        code,
        options.expires !== undefined ? { expiresAt: options.expires } : {},
      );
      console.log(invite);
      console.error(
        `granted viewer ${grantee} access to "${camera.name}"${options.expires !== undefined ? ` until ${time(options.expires)}` : ''}; the camera applies it when it is online.\n` +
          'give that viewer the invite code above: they run "sealcam-viewer accept <invite code>".',
      );
    });
  });

program
  .command('accept')
  .description('add a camera shared with this viewer (waits until the device has applied the grant)')
  .argument('<invite-code>', 'the SCI1-… code the owner gave you')
  .option('--camera-name <name>', 'how the camera is named here')
  .option('--timeout <seconds>', 'how long to wait for the device to apply the grant', integerIn(1, 600), 60)
  .action(async (code: string, options: { cameraName?: string; timeout: number }) => {
    await withViewer(async (viewer) => {
      const camera = await viewer
        .acceptInvite(code, {
          ...(options.cameraName ? { cameraName: options.cameraName } : {}),
          timeoutMs: options.timeout * 1000,
        })
        .catch((error: unknown) => {
          if (error instanceof ViewerError && error.reason === 'NO_GRANT')
            throw new CliError(
              `the camera has not applied the grant within ${options.timeout} s (is it online, and did the owner run "sealcam-viewer share"?); try again later`,
            );
          throw error;
        });
      printCamera('added', camera);
    });
  });

program
  .command('revoke')
  .description('owner only: remove a viewer; the camera rotates its live keys and seals nothing new for it')
  .argument('<deviceId>', 'camera id (or its name, or a unique id prefix)')
  .argument('<viewerId>', 'the viewer\'s id ("sealcam-viewer viewers <deviceId>" lists them)')
  .option(
    '--wait <seconds>',
    "wait this long for the camera's confirmation (a newer signed access list without that viewer); 0: do not wait",
    integerIn(0, 3600),
    60,
  )
  .action(async (device: string, viewerId: string, options: { wait: number }) => {
    let id: ViewerId;
    try {
      parseId(viewerId);
      id = parseViewerId(viewerId);
    } catch {
      throw new CliError(`"${viewerId}" is not a viewer id (26 base32 characters)`);
    }
    await withViewer(async (viewer) => {
      const camera = findCamera(viewer, device);
      ownerOnly(camera, 'revoke viewers');
      if (id === viewer.id)
        throw new CliError('this is your own viewer id: an owner cannot revoke itself here');
      const ticket = await viewer.revoke(camera.deviceId, id);
      const confirmed = ticket.since === null ? null : await waitForRevocation(viewer, ticket, options.wait);
      if (confirmed !== null) {
        console.log(
          `revocation of ${id} done for "${camera.name}": the camera signed access list version ${confirmed} without it`,
        );
        return;
      }
      console.log(
        ticket.since === null
          ? `revocation of ${id} pending for "${camera.name}": sent, but it cannot be confirmed: the camera's access list the relay serves does not list that viewer (an older copy, or it was already removed)`
          : `revocation of ${id} pending for "${camera.name}": sent, not confirmed by the camera${options.wait > 0 ? ` within ${options.wait} s` : ''}`,
      );
      console.error(
        `the camera applies it when it is online (its live keys rotate, new events are no longer sealed for that viewer); "sealcam-viewer viewers ${camera.deviceId}" shows when it has`,
      );
      process.exitCode = EXIT.pending;
    });
  });

/**
 * Polls (every 2 s, bounded by `seconds`) until the camera has confirmed the revocation (a signed
 * access list, see Viewer.revoke); resolves with its version, or null when it did not come in time.
 */
async function waitForRevocation(
  viewer: Viewer,
  ticket: RevocationTicket,
  seconds: number,
): Promise<number | null> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const state = await viewer.revocationState(ticket);
      if (state.done) return state.version;
    } catch (error) {
      if (!(error instanceof ViewerError)) throw error;
      // A relay that cannot answer, or serves a stale list, is no confirmation: keep waiting.
    }
    if (Date.now() + 2000 > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

program
  .command('viewers')
  .description('who may see a camera, from the access list the device signed')
  .argument('<deviceId>', 'camera id (or its name, or a unique id prefix)')
  .option('--json', 'print JSON')
  .action(async (device: string, options: { json?: boolean }) => {
    await withViewer(async (viewer) => {
      const camera = findCamera(viewer, device);
      const viewers = await viewer.viewersOf(camera.deviceId);
      if (options.json) {
        console.log(
          JSON.stringify(
            viewers.map((v) => ({ ...v, self: v.viewerId === viewer.id })),
            null,
            2,
          ),
        );
        return;
      }
      const rows = viewers.map((v) => [
        v.viewerId,
        v.access,
        v.viewerId === viewer.id ? '(this viewer)' : '',
      ]);
      for (const line of table([['VIEWER ID', 'ACCESS', ''], ...rows])) console.log(line);
    });
  });

program
  .command('verify')
  .summary("print this viewer's fingerprint and, per camera, the safety number to compare")
  .description(
    "Print this viewer's id and fingerprint and, per camera, the device fingerprint and the safety " +
      'number, grouped for reading aloud: compare it with what the device shows ("sealcam-agent viewers").',
  )
  .argument('[deviceId]', 'only this camera (id, name or unique id prefix)')
  .action(async (device: string | undefined) => {
    await withViewer(async (viewer) => {
      const cameras = device ? [findCamera(viewer, device)] : viewer.cameras();
      console.log('this viewer');
      console.log(`  id:            ${viewer.id}`);
      console.log(`  fingerprint:   ${viewer.fingerprint}`);
      for (const camera of cameras) {
        console.log('');
        console.log(`camera "${camera.name}" (${camera.access})`);
        console.log(`  id:            ${camera.deviceId}`);
        console.log(`  fingerprint:   ${camera.fingerprint}`);
        const [first, ...rest] = groupedSafetyNumber(camera.safetyNumber);
        console.log(`  safety number: ${first ?? ''}`);
        for (const line of rest) console.log(`                 ${line}`);
      }
      if (cameras.length === 0) console.log('\nno cameras yet');
    });
  });

program
  .command('web')
  .summary('serve the web app from its own origin on this machine; relays stay only an API')
  .description(
    'Serve the signed web app (client/dist/webapp) on 127.0.0.1 from an origin of its own, so that no relay ' +
      'serves the code that holds your keys. Each relay must allow this origin: SEALCAM_APP_ORIGINS=<the URL printed>. ' +
      'Runs until Ctrl-C.',
  )
  .requiredOption('--relay <url...>', 'relay URL(s) the app may reach (its CSP names exactly these)')
  .option(
    '--port <port>',
    'port on 127.0.0.1, 0 = any free one',
    (value) => {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new InvalidArgumentError('a TCP port, 0–65535');
      return port;
    },
    8090,
  )
  .action(async (options: { relay: string[]; port: number }) => {
    const host = await startAppHost({ relays: options.relay, port: options.port }).catch((error: Error) => {
      throw new CliError(error.message, EXIT.refused);
    });
    // Ctrl-C is handled before the address is printed: whoever reads it may stop the app at once.
    const stopped = new Promise<void>((resolveStop) => {
      process.once('SIGINT', resolveStop);
      process.once('SIGTERM', resolveStop);
    });
    console.log(`web app: ${host.url}/`);
    console.log(`each relay must allow it: SEALCAM_APP_ORIGINS=${host.url}`);
    await stopped;
    await host.close();
  });

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

try {
  await program.parseAsync();
} catch (error) {
  const verbose = globals().verbose === true;
  if (error instanceof ViewerError) {
    const line = describeError(error, verbose);
    fail(error.verificationFailure ? line : `viewer: ${line}`, exitCodeOf(error));
  }
  if (error instanceof CliError) fail(`viewer: ${error.message}`, error.exitCode);
  if (error instanceof SealError) fail(`viewer: ${error.message}`, EXIT.refused);
  if (error instanceof InvalidArgumentError) fail(`viewer: ${error.message}`, 1);
  throw error;
}
// Open keep-alive sockets and timers of the SDK must not keep a finished command waiting.
process.exit(process.exitCode ?? 0);
