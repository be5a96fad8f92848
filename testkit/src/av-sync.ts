import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { requireProgram } from './programs.js';

/**
 * Audio/video sync made measurable: a camera whose picture flashes white and whose sound beeps at
 * the same instants (the first `FLASH_SECONDS` of every second, black and silent otherwise), and a
 * measurement of a written media file with a real ffmpeg: `blackdetect` gives where each flash starts
 * on the video track (a black run's end), `silencedetect` where each beep starts on the audio track (a
 * silence's end), both on the file's own timeline. Paired flash and beep onsets are the same instant
 * of the source; their distance is the file's A/V offset.
 */
export const FLASH_SECONDS = 0.2;

/** lavfi video: black, white for FLASH_SECONDS at every whole second. */
export function flashVideoSource(width: number, height: number, fps: number): string {
  return `color=c=black:s=${width}x${height}:r=${fps},drawbox=c=white:t=fill:enable='lt(mod(t\\,1)\\,${FLASH_SECONDS})'`;
}

/** lavfi audio: silence, a 1 kHz beep for FLASH_SECONDS at every whole second. */
export function beepAudioSource(sampleRate: number): string {
  return `aevalsrc='if(lt(mod(t\\,1)\\,${FLASH_SECONDS})\\,0.5*sin(2*PI*1000*t)\\,0)':s=${sampleRate}`;
}

export interface AvSync {
  /** Flash onsets on the video track, seconds of the file's timeline. */
  readonly flashes: number[];
  /** Beep onsets on the audio track, seconds. */
  readonly beeps: number[];
  /** For each flash with a beep within half a second: beep − flash, milliseconds. */
  readonly offsetsMs: number[];
}

/** Decodes `path` with a real ffmpeg and pairs its flash and beep onsets (see above). */
export function measureAvSync(path: string): AvSync {
  requireProgram('ffmpeg');
  // biome-ignore format: option pairs read best one per line
  const result = spawnSync('ffmpeg', [
    '-hide_banner', '-nostdin', '-nostats', '-i', path,
    '-vf', 'blackdetect=d=0.05:pix_th=0.1', '-af', 'silencedetect=n=-30dB:d=0.05',
    '-f', 'null', '-',
  ], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`ffmpeg failed (${result.status}): ${result.stderr}`);
  const flashes = onsets(result.stderr, /black_start:\s*([\d.]+)/g, /black_end:\s*([\d.]+)/g);
  const beeps = onsets(result.stderr, /silence_start:\s*([\d.]+)/g, /silence_end:\s*([\d.]+)/g);
  const offsetsMs: number[] = [];
  for (const flash of flashes) {
    let best: number | undefined;
    for (const beep of beeps)
      if (best === undefined || Math.abs(beep - flash) < Math.abs(best - flash)) best = beep;
    if (best !== undefined && Math.abs(best - flash) < 0.5) offsetsMs.push(Math.round((best - flash) * 1000));
  }
  return { flashes, beeps, offsetsMs };
}

/**
 * Measures `path` (see measureAvSync) and asserts that at least `minFlashes` flashes were seen where
 * both tracks have content, that every such flash has its beep, and that every offset is within
 * ±`boundMs`. A flash more than half a second past the audio track's first or last beep is outside
 * what both tracks cover (a live file cut while one track's last frames were still on their way), so
 * it is no measure of sync. With a `label`, prints the offsets first (`<label> A/V offsets …`).
 * Returns the measurement.
 */
export function assertAvSync(
  path: string,
  options: { readonly minFlashes: number; readonly boundMs: number; readonly label?: string },
): AvSync {
  const { minFlashes, boundMs, label } = options;
  const sync = measureAvSync(path);
  if (label !== undefined)
    console.log(
      `${label} A/V offsets (beep − flash, ms): ${sync.offsetsMs.join(' ')}; bound ±${boundMs.toFixed(0)}`,
    );
  const [firstBeep, lastBeep] = [sync.beeps[0] ?? Number.NaN, sync.beeps.at(-1) ?? Number.NaN];
  const covered = sync.flashes.filter((flash) => flash >= firstBeep - 0.5 && flash <= lastBeep + 0.5);
  assert.ok(covered.length >= minFlashes, `flashes seen where both tracks play: ${JSON.stringify(sync)}`);
  assert.equal(sync.offsetsMs.length, covered.length, `a beep for every flash: ${JSON.stringify(sync)}`);
  for (const offset of sync.offsetsMs)
    assert.ok(
      Math.abs(offset) <= boundMs,
      `offset ${offset} ms within ±${boundMs} ms: ${JSON.stringify(sync)}`,
    );
  return sync;
}

/**
 * Onsets (a quiet run's end) that a new quiet run follows about FLASH_SECONDS later: a whole flash or
 * beep, not the end of the file (where ffmpeg also ends the last run).
 */
function onsets(log: string, quietStart: RegExp, quietEnd: RegExp): number[] {
  const starts = [...log.matchAll(quietStart)].map((m) => Number(m[1]));
  return [...log.matchAll(quietEnd)]
    .map((m) => Number(m[1]))
    .filter((end) => starts.some((start) => Math.abs(start - end - FLASH_SECONDS) < 0.1));
}
