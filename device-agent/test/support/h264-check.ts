import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** ffprobe (real) on `bytes` written to a temp file named `name`: its CSV stdout and stderr. */
function probeBytes(bytes: Uint8Array, name: string, stream: string, entries: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-probe-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    // biome-ignore format: option pairs read best one per line
    const probe = spawnSync('ffprobe', [
      '-v', 'error', '-count_frames', '-select_streams', stream,
      '-show_entries', `stream=${entries}`, '-of', 'csv=p=0', file,
    ], { encoding: 'utf8', timeout: 60_000 });
    return { out: probe.stdout.trim(), errors: probe.stderr.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Decodes an Annex B H.264 stream with a real ffmpeg: frames decoded, picture width, the decoder's complaints. */
export function decodeH264(stream: Uint8Array): { frames: number; width: number; errors: string } {
  const { out, errors } = probeBytes(stream, 'units.h264', 'v:0', 'width,nb_read_frames');
  const [width = '', frames = ''] = out.split(',');
  return { frames: Number(frames), width: Number(width), errors };
}

/** Decodes an ADTS AAC stream with a real ffprobe: frames decoded. */
export function decodeAac(stream: Uint8Array): { frames: number; codec: string; errors: string } {
  const { out, errors } = probeBytes(stream, 'audio.aac', 'a:0', 'codec_name,nb_read_frames');
  const [codec = '', frames = ''] = out.split(',');
  return { frames: Number(frames), codec, errors };
}
