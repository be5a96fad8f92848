/**
 * Why a camera is not delivering, as a closed set the agent's status can show:
 *  - auth-failed: the camera refused the credentials (401/403); retried only after minutes;
 *  - unreachable: no connection (refused, timed out, no route, name not resolved);
 *  - stalled: connected, but nothing came for the stall timeout;
 *  - stream-changed: the camera's stream parameters (SPS: resolution, profile) changed mid-stream;
 *  - unsupported-codec: not H.264 (e.g. H.265) on the passthrough path;
 *  - bad-stream: ffmpeg's outputs did not agree (sizes, start codes) or a unit was too large;
 *  - ffmpeg-missing: the ffmpeg program is not installed or not executable;
 *  - gstreamer-missing: `client: 'gstreamer'`, and gst-launch-1.0 or one of its elements is missing;
 *  - exited: ffmpeg ended for another reason.
 */
export type CameraErrorReason =
  | 'auth-failed'
  | 'unreachable'
  | 'stalled'
  | 'stream-changed'
  | 'unsupported-codec'
  | 'bad-stream'
  | 'ffmpeg-missing'
  | 'gstreamer-missing'
  | 'exited';

export class CameraError extends Error {
  override readonly name = 'CameraError';
  constructor(
    readonly reason: CameraErrorReason,
    message: string,
    /** When the source tries again, if it does (ms). */
    readonly retryInMs?: number,
  ) {
    super(message);
  }
}

/** The reason the RTSP client's stderr (ffmpeg's or GStreamer's) points to, if it names one we know. */
export function reasonFromStderr(stderr: string): CameraErrorReason | null {
  if (/\b40[13]\b|Unauthorized|Forbidden/i.test(stderr)) return 'auth-failed';
  if (
    /Could not open resource for reading and writing|Failed to connect|Connection refused|Connection timed out|No route to host|Name or service not known|Network is unreachable|Temporary failure in name resolution/i.test(
      stderr,
    )
  )
    return 'unreachable';
  return null;
}
