import type { MediaMode } from './capability.js';
import type { ModeResult } from './run-mode.js';

export type ModeOutcome =
  | ({ readonly available: true; readonly note: string | null } & ModeResult)
  | { readonly mode: MediaMode; readonly available: false; readonly reason: string };

type Figure = (result: ModeResult) => number | null;

const ROWS: [string, Figure, string][] = [
  ['live bytes sent ÷ camera bytes (wireBytesRatio)', (r) => r.wireBytesRatio, '≤ 1.01'],
  [
    'agent + its RTSP client (ffmpeg or gst-launch-1.0) CPU, % of a core (agentCpuPercentPerCamera)',
    (r) => r.agentCpuPercentPerCamera,
    '≤ 3',
  ],
  ['cameras per gateway core (camerasPerGatewayCore)', (r) => r.camerasPerGatewayCore, ''],
  ['glass-to-glass p50, ms', (r) => r.glassToGlassMs.p50, '≤ 100'],
  ['glass-to-glass p99, ms', (r) => r.glassToGlassMs.p99, '≤ 250'],
  ['idle upload ÷ camera bytes (idleUploadRatio)', (r) => r.idleUploadRatio, '≤ 0.1'],
  ['clip bytes ÷ camera bytes (clipBytesRatio)', (r) => r.clipBytesRatio, '≤ 1.05'],
  ['camera: Mbit/s (video + audio)', (r) => r.cameraMbps, ''],
  ['camera: fps delivered', (r) => r.cameraFps, ''],
  ['camera: clock drawn → encoded, ms (mean; inside glass-to-glass)', (r) => r.cameraEncodeLagMs, ''],
];

const show = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : String(value);

/** Column titles of the human table, in the order the modes are run. */
const TITLES: Record<MediaMode, string> = {
  passthrough: 'passthrough (ffmpeg client)',
  'passthrough-gst': 'passthrough (GStreamer client)',
  'full-decode': 'full-decode',
  mjpeg: 'MJPEG (baseline, same run)',
};

/** The human table: every mode's figures side by side, and the passthrough modes ÷ the MJPEG baseline. */
export function formatTable(outcomes: readonly ModeOutcome[]): string {
  const pass = outcomes.find((o) => o.mode === 'passthrough');
  const mjpeg = outcomes.find((o) => o.mode === 'mjpeg');
  const value = (outcome: ModeOutcome | undefined, figure: Figure) =>
    outcome?.available ? figure(outcome) : null;
  const passModes = outcomes.filter((o) => o.mode === 'passthrough' || o.mode === 'passthrough-gst');
  const ratioTitles = mjpeg ? passModes.map((o) => `${o.mode} ÷ MJPEG`) : [];
  const titles = [...outcomes.map((o) => TITLES[o.mode]), ...ratioTitles];
  const lines = [
    `| figure | ${titles.join(' | ')} | goal (issue #15) |`,
    `|---|${titles.map(() => '---|').join('')}---|`,
  ];
  for (const [label, figure, goal] of ROWS) {
    const cells = outcomes.map((o) => show(value(o, figure)));
    const b = value(mjpeg, figure);
    for (const o of mjpeg ? passModes : []) {
      const a = value(o, figure);
      cells.push(show(a !== null && b !== null && b !== 0 ? Number((a / b).toFixed(3)) : null));
    }
    lines.push(`| ${label} | ${cells.join(' | ')} | ${goal} |`);
  }
  const notes: string[] = [];
  for (const outcome of outcomes) {
    if (!outcome.available) notes.push(`${outcome.mode}: not measured: ${outcome.reason}`);
    else {
      if (outcome.note) notes.push(`${outcome.mode}: ${outcome.note}`);
      const g = outcome.glassToGlassMs;
      const split = outcome.agentCpuSplit;
      notes.push(
        `${outcome.mode}: agent + its RTSP client CPU ${show(outcome.agentCpuPercentPerCamera)}% of a core (node ${show(split.nodePercent)}%, ${outcome.mode === 'passthrough-gst' ? 'gst-launch-1.0' : 'ffmpeg'} ${show(split.ffmpegPercent)}%)`,
      );
      notes.push(
        `${outcome.mode}: ${outcome.windowSeconds} s window; ${g.samples} frames read from the page's <${g.element}> (${g.unreadable} unreadable); ` +
          `idle ${outcome.idle.seconds} s: ${outcome.idle.agentBytes} B sent for ${outcome.idle.cameraBytes} B from the camera; ` +
          `clips: ${outcome.clip.events} events, ${outcome.clip.bytes} B over ${outcome.clip.seconds} s${outcome.clip.reason ? ` (${outcome.clip.reason})` : ''}`,
      );
    }
  }
  if (!pass) notes.push('passthrough: not requested (--mode mjpeg)');
  if (!mjpeg) notes.push('mjpeg: not requested (--mode passthrough)');
  return `${lines.join('\n')}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`;
}
