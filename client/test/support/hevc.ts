import { spawnSync } from 'node:child_process';
import { requireProgram } from '@sealcam/testkit/programs';

let cached: Uint8Array | undefined;

/**
 * One H.265 keyframe access unit (VPS, SPS, PPS, IDR; Annex B) made by a real ffmpeg with libx265:
 * what an H.265 camera sends as its first live frame.
 */
export function hevcKeyframe(): Uint8Array {
  if (cached) return cached;
  requireProgram('ffmpeg');
  // biome-ignore format: option pairs read best one per line
  const result = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=15', '-frames:v', '1',
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error',
    '-f', 'hevc', '-',
  ], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`ffmpeg (libx265) failed (${result.status}): ${result.stderr}`);
  cached = new Uint8Array(result.stdout);
  return cached;
}
