import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { GST_ELEMENTS } from './gst-passthrough-args.js';

/** Whether GStreamer can be a passthrough camera's RTSP client, and if not, why. */
export type GstAvailability = { readonly ok: true } | { readonly ok: false; readonly why: string };

const known = new Map<string, GstAvailability>();

/**
 * Asks gst-inspect-1.0 (next to `gstLaunchPath` when that is a path) whether every element of the
 * passthrough pipeline exists: one shell running one gst-inspect per element, at most once per
 * process and path (the camera's construction waits for it, ~0.3 s on the development machine; later
 * cameras do not). An element that exists but lacks a property this pipeline sets is found only when
 * gst-launch refuses the pipeline: `auto` then moves the camera to ffmpeg (rtsp-passthrough.ts).
 */
export function gstreamerAvailable(gstLaunchPath = 'gst-launch-1.0'): GstAvailability {
  const cached = known.get(gstLaunchPath);
  if (cached) return cached;
  const inspect = gstLaunchPath.includes('/')
    ? join(dirname(gstLaunchPath), 'gst-inspect-1.0')
    : 'gst-inspect-1.0';
  const script = [
    'launch="$1"; inspect="$2"; shift 2',
    'command -v "$launch" >/dev/null 2>&1 || { echo "$launch not found"; exit 1; }',
    'for element do "$inspect" --exists "$element" 2>/dev/null || { echo "element $element missing"; exit 1; }; done',
  ].join('\n');
  const result = spawnSync('sh', ['-c', script, 'sh', gstLaunchPath, inspect, ...GST_ELEMENTS], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const availability: GstAvailability =
    result.status === 0
      ? { ok: true }
      : { ok: false, why: (result.stdout || result.error?.message || 'gst-inspect-1.0 failed').trim() };
  // A check cut short (a slow first scan of the plugin registry) is asked again by the next camera.
  if (!result.error) known.set(gstLaunchPath, availability);
  return availability;
}
