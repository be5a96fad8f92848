import { rmSync } from 'node:fs';
import { agentDir } from '@sealcam/testkit/agent';

export type MediaMode = 'passthrough' | 'mjpeg';

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
  const withMode = accepts({ ...base, mode });
  if (withMode.ok) return { available: true, cameraFields: { mode }, note: null };
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
    reason: `passthrough is not available in this build: the agent refuses an rtsp camera with mode "passthrough" (${withMode.message})`,
  };
}
