import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export interface FfmpegChildOptions {
  readonly path: string;
  readonly args: readonly string[];
  /** Output pipes besides stdout, as fds 3, 4, … (ffmpeg's `pipe:3`, …). */
  readonly extraPipes?: number;
  /** Keep stdin open as a pipe (the synthetic camera writes raw frames to it). */
  readonly stdin?: boolean;
  /** Bytes from stdout (fd 1) or an extra pipe (fd 3, …). */
  readonly onData: (fd: number, chunk: Buffer) => void;
  /** Every stderr line, as ffmpeg wrote it. */
  readonly onStderrLine?: (line: string) => void;
}

export interface FfmpegExit {
  readonly error: NodeJS.ErrnoException | null;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** ffmpeg's last warnings and errors, printable characters only, joined by ' | '. */
  readonly stderr: string;
  /** The same lines, one by one. */
  readonly stderrLines: readonly string[];
}

const TAIL_LINES = 12;

/**
 * One ffmpeg process with extra output pipes. Its stderr is split into lines; those at warning level
 * or worse (or all, when ffmpeg does not prefix levels) are kept as a short tail for error messages.
 */
export class FfmpegChild {
  readonly exited: Promise<FfmpegExit>;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private partial = '';

  constructor(options: FfmpegChildOptions) {
    const extra = options.extraPipes ?? 0;
    const stdio = [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...Array(extra).fill('pipe')];
    this.child = spawn(options.path, options.args, { stdio: stdio as ('pipe' | 'ignore')[] });
    const child = this.child;
    let spawnError: NodeJS.ErrnoException | null = null;
    this.exited = new Promise((resolve) => {
      let settled = false;
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        this.flushStderr(options.onStderrLine);
        resolve({
          error: spawnError,
          code,
          signal,
          stderr: this.tail.join(' | '),
          stderrLines: [...this.tail],
        });
      };
      child.once('error', (error: NodeJS.ErrnoException) => {
        spawnError ??= error;
        // A process that never started emits only 'error'; one that did still emits 'close'.
        if (child.pid === undefined) done(null, null);
      });
      child.once('close', (code, signal) => done(code, signal));
    });
    child.stdio[1]?.on('data', (chunk: Buffer) => options.onData(1, chunk));
    for (let fd = 3; fd < 3 + extra; fd++) {
      const stream = child.stdio[fd] as Readable | null;
      stream?.on('data', (chunk: Buffer) => options.onData(fd, chunk));
      stream?.on('error', () => {});
    }
    const stderr = child.stdio[2] as Readable | null;
    stderr?.setEncoding('utf8');
    stderr?.on('data', (text: string) => {
      this.partial += text;
      const lines = this.partial.split(/\r?\n|\r/);
      this.partial = lines.pop() ?? '';
      if (this.partial.length > 8192) this.partial = '';
      for (const line of lines) this.line(line, options.onStderrLine);
    });
    (child.stdin as Writable | null)?.on('error', () => {});
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get stdin(): Writable | null {
    return this.child.stdin;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs: number): Promise<FfmpegExit> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }

  private flushStderr(onLine?: (line: string) => void): void {
    if (this.partial) this.line(this.partial, onLine);
    this.partial = '';
  }

  private line(raw: string, onLine?: (line: string) => void): void {
    if (!raw) return;
    onLine?.(raw);
    const level = /\[(panic|fatal|error|warning|info|verbose|debug|trace)\]/.exec(raw)?.[1];
    if (level && !['panic', 'fatal', 'error', 'warning'].includes(level)) return;
    const clean = raw.replace(/[^\x20-\x7e]/g, '').trim();
    if (!clean) return;
    this.tail.push(clean.length > 300 ? `${clean.slice(0, 300)}…` : clean);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }
}
