import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * bench/media/rtsp-camera.py: GStreamer's RTSP server with a burned-in block clock (this module
 * runs from bench/dist/media/; the script is not compiled, so it stays beside this file's source).
 */
export const CAMERA_SCRIPT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'media',
  'rtsp-camera.py',
);
/** Debian's python3, where python3-gi and the GStreamer bindings are installed. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** The encoders' output so far: what the camera itself sends (before RTP/RTSP framing). */
export interface CameraCounters {
  readonly videoBytes: number;
  readonly videoFrames: number;
  readonly keyframes: number;
  readonly audioBytes: number;
  readonly clients: number;
  /** The camera's own delay (its clock drawn → encoded frame out), summed over encodeLagFrames. */
  readonly encodeLagMsSum: number;
  readonly encodeLagFrames: number;
  readonly atMs: number;
}

export interface CameraServerOptions {
  readonly fps: number;
  readonly kbps: number;
  readonly motionEverySeconds: number;
  readonly motionSeconds: number;
  /** The server exits on its own after this long, whatever happens to this process. */
  readonly maxSeconds: number;
}

export interface CameraServer {
  readonly url: string;
  readonly pid: number;
  counters(): Promise<CameraCounters>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const COUNT_TIMEOUT_MS = 10_000;

/** Starts the RTSP camera on a free loopback port and resolves once it listens. */
export async function startCameraServer(options: CameraServerOptions): Promise<CameraServer> {
  const child: ChildProcess = spawn(
    SYSTEM_PYTHON,
    [
      CAMERA_SCRIPT,
      '--port',
      '0',
      '--fps',
      String(options.fps),
      '--kbps',
      String(options.kbps),
      '--motion-every',
      String(options.motionEverySeconds),
      '--motion-seconds',
      String(options.motionSeconds),
      '--max-seconds',
      String(options.maxSeconds),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    stdout += text;
    let newline = stdout.indexOf('\n');
    while (newline >= 0) {
      lines.push(stdout.slice(0, newline));
      stdout = stdout.slice(newline + 1);
      newline = stdout.indexOf('\n');
    }
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  child.once('exit', () => {
    for (const wake of waiters.splice(0)) wake();
  });
  const nextLine = (timeoutMs: number, what: string) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`rtsp camera: no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = () => {
        const line = lines.shift();
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(line);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`rtsp camera exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`));
        } else waiters.push(check);
      };
      check();
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await once(child, 'exit');
    clearTimeout(kill);
  };
  child.once('error', () => undefined);
  try {
    const { url } = JSON.parse(await nextLine(START_TIMEOUT_MS, 'URL')) as { url: string };
    return {
      url,
      pid: child.pid ?? 0,
      async counters() {
        child.stdin?.write('count\n');
        return JSON.parse(await nextLine(COUNT_TIMEOUT_MS, 'counters')) as CameraCounters;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
