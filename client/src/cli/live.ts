import { Codec, type DeviceId, LIVE_FRESHNESS_MS, type StreamId } from '@sealcam/protocol';
import type { ViewerError } from '../sdk/errors.js';
import type { Viewer } from '../sdk/index.js';
import { bytesText, describeError, EXIT } from './format.js';
import { LiveOutputError } from './live-output-error.js';
import { type LiveOutput, openSink } from './live-sinks.js';

export interface LiveOptions {
  /** Where the verified frames go; `stats` prints stats every second instead. */
  readonly output: LiveOutput;
  readonly seconds: number;
  /** Stop after this many verified video frames (audio frames are not counted). */
  readonly frames?: number;
  readonly verbose: boolean;
}

type StopReason = 'time' | 'frames' | 'interrupted' | 'refused' | 'reader-gone';

/**
 * Subscribes to one stream, hands the frames that verify to the output (live-sinks.ts) or counts
 * them, and counts, by reason, what does not. Ends after `seconds`, after `frames`, on Ctrl-C, when
 * the reader of --stdout goes away, or at once when the relay refuses the subscription or the output
 * fails; the output is then closed (an MP4 is finished). Returns the exit code: 3 if anything was
 * rejected or if no frame was live (§6.8: all delayed or unconfirmed), 2 if refused or the output
 * failed, else 0. With --stdout, messages go to stderr only.
 */
export async function runLive(
  viewer: Pick<Viewer, 'watch'>,
  deviceId: DeviceId,
  streamId: StreamId,
  options: LiveOptions,
): Promise<number> {
  const started = Date.now();
  const say = options.output.kind === 'stdout' ? console.error : console.log;
  let frames = 0;
  let videoFrames = 0;
  let bytes = 0;
  let epoch: number | undefined;
  let lastSecondFrames = 0;
  const rejections = new Map<string, { count: number; error: ViewerError }>();
  const freshness = { live: 0, delayed: 0, unconfirmed: 0, oldestMs: 0 };
  let refusal: ViewerError | undefined;
  let outputError: Error | undefined;
  let done = false;
  let stop: (reason: StopReason) => void = () => undefined;
  const stopped = new Promise<StopReason>((resolve) => {
    stop = (reason) => {
      if (done) return;
      done = true;
      resolve(reason);
    };
  });
  const fail = (error: Error) => {
    if (outputError) return;
    outputError = error;
    const readerGone =
      options.output.kind === 'stdout' && error instanceof LiveOutputError && error.reason === 'WRITE';
    stop(readerGone ? 'reader-gone' : 'refused');
  };
  const sink = openSink(options.output, fail);

  const subscription = viewer.watch(deviceId, streamId, {
    onFrame: (frame) => {
      if (done) return;
      frames++;
      if (frame.codec !== Codec.AacAdts) videoFrames++;
      bytes += frame.data.length;
      epoch = frame.epoch;
      freshness[frame.freshness.state]++;
      if (frame.freshness.state === 'delayed')
        freshness.oldestMs = Math.max(freshness.oldestMs, frame.freshness.ageMs);
      sink?.add(frame);
      if (options.frames !== undefined && videoFrames >= options.frames) stop('frames');
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
  const stats =
    options.output.kind !== 'stats'
      ? undefined
      : setInterval(() => {
          const elapsed = Math.round((Date.now() - started) / 1000);
          const rate = frames - lastSecondFrames;
          lastSecondFrames = frames;
          say(
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
  const counted =
    (sink ? await sink.close(frames).catch((error: Error) => fail(error)) : undefined) ??
    `${frames} verified frames`;

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ending =
    reason === 'interrupted'
      ? ', interrupted'
      : reason === 'reader-gone'
        ? ', the reader of stdout has gone'
        : '';
  say(`${counted} in ${seconds} s (${bytesText(bytes)}, epoch ${epoch ?? '-'}), ${rejectedText()}${ending}`);
  const timing = freshnessText(freshness);
  if (timing) say(timing);
  for (const [reasonCode, entry] of rejections)
    console.error(
      `REJECTED ${entry.count}x: ${entry.error.userMessage} (${reasonCode})${options.verbose && entry.error.detail ? `: ${entry.error.detail}` : ''}`,
    );
  if (outputError && reason !== 'reader-gone') {
    console.error(`viewer: ${outputError.message}`);
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
  if (freshness.live === 0) {
    console.error(
      freshness.delayed > 0
        ? `viewer: NOT LIVE: every verified frame was older than ${LIVE_FRESHNESS_MS / 1000} s (up to ${(freshness.oldestMs / 1000).toFixed(1)} s): recorded video, not now`
        : "viewer: NOT LIVE: the camera's clock could not be confirmed (it did not answer a clock question): no frame is known to be live",
    );
    return EXIT.rejected;
  }
  return 0;
}

/**
 * How many frames were live (PROTOCOL.md §6.8), and how many were not: empty when all were. A
 * delayed frame is typically the relay's cached keyframe of an unwatched camera; many of them, or
 * none live, mean recorded video served as live.
 */
function freshnessText(counts: {
  live: number;
  delayed: number;
  unconfirmed: number;
  oldestMs: number;
}): string {
  if (counts.delayed === 0 && counts.unconfirmed === 0) return '';
  const parts = [`live ${counts.live}`];
  if (counts.delayed > 0)
    parts.push(
      `delayed ${counts.delayed} (older than ${LIVE_FRESHNESS_MS / 1000} s, up to ${(counts.oldestMs / 1000).toFixed(1)} s)`,
    );
  if (counts.unconfirmed > 0) parts.push(`unconfirmed ${counts.unconfirmed} (not placed in time)`);
  return `freshness: ${parts.join(', ')}`;
}
