import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Decodes an Annex B H.264 stream with a real ffmpeg: frames decoded and the decoder's complaints. */
export function decodeH264(stream: Uint8Array): { frames: number; errors: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-h264-'));
  try {
    const file = join(dir, 'units.h264');
    writeFileSync(file, stream);
    const probe = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_read_frames',
        '-of',
        'csv=p=0',
        file,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    return { frames: Number(probe.stdout.trim()), errors: probe.stderr.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Decodes an ADTS AAC stream with a real ffprobe: frames decoded. */
export function decodeAac(stream: Uint8Array): { frames: number; codec: string; errors: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-aac-'));
  try {
    const file = join(dir, 'audio.aac');
    writeFileSync(file, stream);
    const probe = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'a:0',
        '-show_entries',
        'stream=codec_name,nb_read_frames',
        '-of',
        'csv=p=0',
        file,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const [codec = '', frames = ''] = probe.stdout.trim().split(',');
    return { frames: Number(frames), codec, errors: probe.stderr.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
