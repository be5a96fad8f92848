import { backoffDelay, formatDuration } from './backoff.js';
import { CameraError, type CameraErrorReason, reasonFromStderr } from './camera-error.js';
import type { FfmpegExit } from './ffmpeg-child.js';
import type { AudioPlan } from './passthrough-args.js';

export interface ExitPolicy {
  /** The RTSP client program: ffmpeg, or gst-launch-1.0 (`client: 'gstreamer'`). */
  readonly program: 'ffmpeg' | 'gstreamer';
  /** Its path as configured. */
  readonly programPath: string;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly authRetryMs: number;
  readonly missingProgramRetryMs: number;
}

/** Debian's packages for `client: 'gstreamer'` (rtspsrc and the depayloaders; gdppay; avdec_h264 and avenc_aac). */
export const GSTREAMER_PACKAGES =
  'gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav';

/** What to do after a passthrough ffmpeg ended while the camera should be running. */
export type ExitVerdict =
  /** It failed only because of the audio plan: start again at once with this one, nothing to report. */
  | { readonly kind: 'audio'; readonly plan: AudioPlan }
  /** Report `error` and start again after `delay`; `failure` counts toward the backoff. */
  | {
      readonly kind: 'retry';
      readonly error: CameraError;
      readonly delay: number;
      readonly failure: boolean;
    };

/**
 * Why ffmpeg ended (a fault seen on this side, the program missing, its stderr) and how long to wait:
 * minutes after an authentication failure (cameras lock accounts), a doubling delay otherwise.
 */
export function exitVerdict(
  exit: FfmpegExit,
  fault: CameraError | null,
  failures: number,
  audio: AudioPlan,
  policy: ExitPolicy,
): ExitVerdict {
  const errno = exit.error?.code;
  const gst = policy.program === 'gstreamer';
  const name = gst ? 'gst-launch-1.0' : 'ffmpeg';
  if (errno === 'ENOENT' || errno === 'EACCES') {
    const text =
      errno === 'ENOENT'
        ? gst
          ? `gst-launch-1.0 not found: install GStreamer (${GSTREAMER_PACKAGES}) or set gstLaunchPath (tried "${policy.programPath}")`
          : `ffmpeg not found: install ffmpeg (e.g. apt-get install ffmpeg) or set ffmpegPath (tried "${policy.programPath}")`
        : `${name} at "${policy.programPath}" is not executable`;
    return retry(gst ? 'gstreamer-missing' : 'ffmpeg-missing', text, policy.missingProgramRetryMs, false);
  }
  const stderr = exit.stderr;
  const missingElement = gst && !fault ? /no element "([^"]+)"/i.exec(stderr)?.[1] : undefined;
  if (missingElement) {
    const text = `GStreamer element "${missingElement}" is missing: install ${GSTREAMER_PACKAGES}`;
    return retry('gstreamer-missing', text, policy.missingProgramRetryMs, false);
  }
  const plan = fault || gst ? null : nextAudioPlan(stderr, audio);
  if (plan) return { kind: 'audio', plan };
  const how = exit.error
    ? `${name} did not start: ${exit.error.message}`
    : `${name} exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`;
  // GStreamer's tail holds source locations (`file.c(401)`): only its ERROR lines name a reason.
  const said = gst ? exit.stderrLines.filter((line) => line.startsWith('ERROR')).join(' | ') : stderr;
  const reason = fault?.reason ?? reasonFromStderr(said) ?? 'exited';
  const withStderr = (text: string) => (stderr ? `${text}; stderr: ${stderr}` : text);
  switch (reason) {
    case 'auth-failed':
      return retry(
        reason,
        withStderr(
          `authentication failed (the camera refused the user name or password; check them in the URL); ${how}`,
        ),
        policy.authRetryMs,
        true,
      );
    case 'unsupported-codec':
      return retry(reason, fault?.message ?? how, policy.authRetryMs, true);
    case 'stream-changed':
      return retry(reason, fault?.message ?? how, policy.retryMinMs, true);
    default: {
      const delay = backoffDelay(failures + 1, policy.retryMinMs, policy.retryMaxMs);
      const text = fault ? fault.message : reason === 'unreachable' ? `camera unreachable; ${how}` : how;
      return retry(reason, withStderr(text), delay, true);
    }
  }
}

function retry(reason: CameraErrorReason, text: string, delay: number, failure: boolean): ExitVerdict {
  return {
    kind: 'retry',
    error: new CameraError(reason, `${text}; retrying in ${formatDuration(delay)}`, delay),
    delay,
    failure,
  };
}

/** The audio plan to try next when ffmpeg failed only because of this one, else null. */
function nextAudioPlan(stderr: string, plan: AudioPlan): AudioPlan | null {
  if (plan === 'none') return null;
  if (/matches no streams|does not contain any stream/i.test(stderr)) return 'none';
  if (plan === 'copy' && /Only AAC streams can be muxed/i.test(stderr)) return 'convert';
  return null;
}
