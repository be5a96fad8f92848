import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Codec, type DeviceId, type StreamId } from '@sealcam/protocol';
import type { ViewerError } from '../sdk/errors.js';
import type { LiveFrame, Viewer } from '../sdk/index.js';
import { bytesText, describeError, EXIT } from './format.js';

export interface LiveOptions {
  /** Directory for the verified frames; without it, stats are printed every second. */
  readonly out?: string;
  readonly seconds: number;
  /** Stop after this many verified frames. */
  readonly frames?: number;
  readonly verbose: boolean;
}

type StopReason = 'time' | 'frames' | 'interrupted' | 'refused';

/**
 * Subscribes to one stream, writes or counts the frames that verify and counts, by reason, what
 * does not. Ends after `seconds`, after `frames`, on Ctrl-C, or at once when the relay refuses the
 * subscription. Returns the exit code: 3 if anything was rejected, 2 if refused, else 0.
 */
export async function runLive(
  viewer: Viewer,
  deviceId: DeviceId,
  streamId: StreamId,
  options: LiveOptions,
): Promise<number> {
  const started = Date.now();
  let frames = 0;
  let written = 0;
  let bytes = 0;
  let epoch: number | undefined;
  let lastSecondFrames = 0;
  const rejections = new Map<string, { count: number; error: ViewerError }>();
  let refusal: ViewerError | undefined;
  let writeError: Error | undefined;
  let writes: Promise<void> = Promise.resolve();
  let done = false;
  let stop: (reason: StopReason) => void = () => undefined;
  const stopped = new Promise<StopReason>((resolve) => {
    stop = (reason) => {
      if (done) return;
      done = true;
      resolve(reason);
    };
  });

  const write = (frame: LiveFrame, index: number) => {
    const extension = frame.codec === Codec.Jpeg ? 'jpg' : 'bin';
    const name = `frame-${String(index).padStart(6, '0')}-e${frame.epoch}-c${frame.counter}.${extension}`;
    const copy = Buffer.from(frame.data);
    const directory = options.out!;
    writes = writes.then(() =>
      (index === 1 ? mkdir(directory, { recursive: true }) : Promise.resolve(undefined))
        .then(() => writeFile(join(directory, name), copy))
        .then(() => {
          written++;
        })
        .catch((error: Error) => {
          writeError ??= error;
          stop('refused');
        }),
    );
  };

  const subscription = viewer.watch(deviceId, streamId, {
    onFrame: (frame) => {
      if (done) return;
      frames++;
      bytes += frame.data.length;
      epoch = frame.epoch;
      if (options.out) write(frame, frames);
      if (options.frames !== undefined && frames >= options.frames) stop('frames');
    },
    onRejected: (error) => {
      if (done) return;
      if (error.reason === 'NO_KEY_YET') return; // the SDK asks the relay for the manifest again
      if (!error.verificationFailure) {
        refusal = error;
        stop('refused');
        return;
      }
      const entry = rejections.get(error.reason);
      if (entry) entry.count++;
      else rejections.set(error.reason, { count: 1, error });
    },
  });

  const rejectedText = () => {
    const total = [...rejections.values()].reduce((sum, entry) => sum + entry.count, 0);
    if (total === 0) return 'rejected 0';
    const byReason = [...rejections.entries()].map(([reason, entry]) => `${reason} ${entry.count}`);
    return `rejected ${total} (${byReason.join(', ')})`;
  };

  const timer = setTimeout(() => stop('time'), options.seconds * 1000);
  const stats = options.out
    ? undefined
    : setInterval(() => {
        const elapsed = Math.round((Date.now() - started) / 1000);
        const rate = frames - lastSecondFrames;
        lastSecondFrames = frames;
        console.log(
          `${String(elapsed).padStart(4)}s  ${String(rate).padStart(3)} frames/s  ${frames} frames  ${bytesText(bytes)}  epoch ${epoch ?? '-'}  ${rejectedText()}`,
        );
      }, 1000);
  const interrupt = () => stop('interrupted');
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const reason = await stopped;
  clearTimeout(timer);
  if (stats) clearInterval(stats);
  process.off('SIGINT', interrupt);
  process.off('SIGTERM', interrupt);
  subscription.close();
  await writes;

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const counted =
    options.out === undefined
      ? `${frames} verified frames`
      : written === frames
        ? `${frames} verified frames written to ${options.out}`
        : `${frames} verified frames, ${written} written to ${options.out}`;
  console.log(
    `${counted} in ${seconds} s (${bytesText(bytes)}, epoch ${epoch ?? '-'}), ${rejectedText()}${reason === 'interrupted' ? ', interrupted' : ''}`,
  );
  for (const [reasonCode, entry] of rejections)
    console.error(
      `REJECTED ${entry.count}x: ${entry.error.userMessage} (${reasonCode})${options.verbose && entry.error.detail ? `: ${entry.error.detail}` : ''}`,
    );
  if (writeError) {
    console.error(`viewer: cannot write frames to ${options.out}: ${writeError.message}`);
    return EXIT.refused;
  }
  if (refusal) {
    console.error(`viewer: ${describeError(refusal, options.verbose)}`);
    return rejections.size > 0 ? EXIT.rejected : EXIT.refused;
  }
  if (rejections.size > 0) return EXIT.rejected;
  if (frames === 0) {
    console.error(`viewer: no verified frame arrived in ${seconds} s (is the camera online?)`);
    return EXIT.refused;
  }
  return 0;
}
