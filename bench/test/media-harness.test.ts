import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { treeTicks } from '../media/process-cpu.js';
import { formatTable, type ModeOutcome } from '../media/report.js';
import type { ModeResult } from '../media/run-mode.js';
import { quantile } from '../media/stats.js';

test('quantile: nearest rank, p50 and p99 of 1…100 are 50 and 99, and null without values', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(quantile(values, 0.5), 50);
  assert.equal(quantile(values, 0.99), 99);
  assert.equal(quantile([7], 0.99), 7);
  assert.equal(quantile([], 0.5), null);
});

test("treeTicks counts a live child's CPU time among its parent's descendants", async () => {
  const before = treeTicks(process.pid);
  // The child burns CPU, then reports its own utime+stime (ticks) and waits to be ended.
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const end = Date.now() + 400; while (Date.now() < end); const f = require('fs').readFileSync('/proc/self/stat', 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); console.log(Number(x[11]) + Number(x[12])); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const childTicks = Number(String(line).trim());
    assert.ok(childTicks > 0, 'the child used CPU');
    const after = treeTicks(process.pid);
    assert.ok(
      after.descendants - before.descendants >= childTicks,
      `descendants grew by ${after.descendants - before.descendants} ticks, the child alone used ${childTicks}`,
    );
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
});

const mjpeg: ModeResult = {
  mode: 'mjpeg',
  windowSeconds: 30,
  cameraMbps: 3,
  cameraFps: 15,
  cameraEncodeLagMs: 16,
  cameraBytes: { video: 11_000_000, audio: 240_000 },
  agentLiveBytes: 50_000_000,
  agentLiveFrames: 450,
  wireBytesRatio: 4.5,
  agentCpuPercentPerCamera: 36,
  agentCpuSplit: { nodePercent: 12, ffmpegPercent: 24 },
  camerasPerGatewayCore: 2.78,
  glassToGlassMs: { p50: 560, p99: 1200, samples: 375, unreadable: 0, element: 'canvas' },
  idle: { seconds: 20, agentBytes: 36_000_000, cameraBytes: 7_600_000 },
  idleUploadRatio: 4.7,
  clip: { events: 5, bytes: 74_000_000, seconds: 40, types: ['application/x-sealcam-mjpeg'], reason: null },
  clipBytesRatio: 4.6,
};

test("the table shows each passthrough client next to the same run's MJPEG figure, with their ratios", () => {
  const outcomes: ModeOutcome[] = [
    { available: true, note: null, ...mjpeg, mode: 'passthrough', wireBytesRatio: 0.9 },
    {
      available: true,
      note: null,
      ...mjpeg,
      mode: 'passthrough-gst',
      wireBytesRatio: 0.95,
      glassToGlassMs: { ...mjpeg.glassToGlassMs, p50: 280 },
    },
    { available: true, note: null, ...mjpeg },
  ];
  const table = formatTable(outcomes);
  assert.match(
    table,
    /\| figure \| passthrough \(ffmpeg client\) \| passthrough \(GStreamer client\) \| MJPEG \(baseline, same run\) \| passthrough ÷ MJPEG \| passthrough-gst ÷ MJPEG \|/,
  );
  assert.match(
    table,
    /\| live bytes sent ÷ camera bytes \(wireBytesRatio\) \| 0\.9 \| 0\.95 \| 4\.5 \| 0\.2 \| 0\.211 \| ≤ 1\.01 \|/,
  );
  assert.match(table, /\| glass-to-glass p50, ms \| 560 \| 280 \| 560 \| 1 \| 0\.5 \| ≤ 100 \|/);
  assert.match(
    table,
    /passthrough-gst: agent \+ its RTSP client CPU 36% of a core \(node .*%, gst-launch-1\.0 .*%\)/,
  );
});

test('the table says plainly why a mode was not measured, and shows no figure for it', () => {
  const outcomes: ModeOutcome[] = [
    { mode: 'passthrough', available: false, reason: 'passthrough is not available in this build' },
    { available: true, note: null, ...mjpeg },
  ];
  const table = formatTable(outcomes);
  assert.match(table, /passthrough: not measured: passthrough is not available in this build/);
  assert.match(
    table,
    /\| agent \+ its RTSP client \(ffmpeg or gst-launch-1\.0\) CPU, % of a core \(agentCpuPercentPerCamera\) \| — \| 36 \| — \| ≤ 3 \|/,
  );
});
