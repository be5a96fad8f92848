import { rmSync } from 'node:fs';
import { agentDir } from '@sealcam/testkit/agent';

/**
 * passthrough: H.264 copied by ffmpeg as the RTSP client, stills from keyframes only; passthrough-gst:
 * the same with GStreamer as the RTSP client (units end at the RTP marker bit; what `client: 'auto'`,
 * the default, takes where GStreamer is installed); full-decode: ffmpeg with stills from a decode of
 * every frame (the figure issue #15 asks for next to it); mjpeg: the re-encode.
 */
export type MediaMode = 'passthrough' | 'passthrough-gst' | 'full-decode' | 'mjpeg';

/** What each mode adds to an rtsp camera's configuration. */
const MODE_FIELDS: Record<MediaMode, Record<string, unknown>> = {
  passthrough: { mode: 'passthrough', client: 'ffmpeg' },
  'passthrough-gst': { mode: 'passthrough', client: 'gstreamer' },
  'full-decode': { mode: 'passthrough', stills: 'decode' },
  mjpeg: { mode: 'mjpeg' },
};

/**
 * How this build's agent is told to use a mode for an RTSP camera: with `mode` in the camera's
 * configuration (issue #15), or, for a build that predates `mode`, the MJPEG re-encode by leaving it
 * out (then its only RTSP path). `available: false` says plainly why a mode cannot be measured.
 */
export type ModeSupport =
  | { readonly available: true; readonly cameraFields: Record<string, unknown>; readonly note: string | null }
  | { readonly available: false; readonly reason: string };

/** Asks the agent itself: `init` validates the configuration file, and refuses fields it does not know. */
function accepts(camera: Record<string, unknown>): { ok: boolean; message: string } {
  const dir = agentDir('http://127.0.0.1:9', { cameras: [camera] });
  try {
    const result = dir.cli(['init'], 60_000);
    const last = result.stderr.trim().split('\n').at(-1) ?? '';
    // The probe's configuration file is temporary: its path says nothing.
    return { ok: result.status === 0, message: last.replace(/configuration file \S+: /, 'configuration: ') };
  } finally {
    rmSync(dir.stateDir, { recursive: true, force: true });
  }
}

export function modeSupport(mode: MediaMode): ModeSupport {
  const base = { id: 'probe', source: 'rtsp', url: 'rtsp://127.0.0.1:9/cam' };
  const withMode = accepts({ ...base, ...MODE_FIELDS[mode] });
  if (withMode.ok) return { available: true, cameraFields: MODE_FIELDS[mode], note: null };
  if (mode === 'passthrough' && accepts({ ...base, mode: 'passthrough' }).ok)
    return {
      available: true,
      cameraFields: { mode: 'passthrough' },
      note: 'this build has no rtsp `client`: its passthrough is the ffmpeg client, measured without the field',
    };
  const without = accepts(base);
  if (!without.ok)
    return { available: false, reason: `the agent refuses an rtsp camera: ${without.message}` };
  if (mode === 'mjpeg')
    return {
      available: true,
      cameraFields: {},
      note: 'this build has no rtsp `mode`: its rtsp source is the MJPEG re-encode, measured without the field',
    };
  return {
    available: false,
    reason: `${mode} is not available in this build: the agent refuses an rtsp camera with ${JSON.stringify(MODE_FIELDS[mode])} (${withMode.message})`,
  };
}
