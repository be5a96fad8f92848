import type { DeviceId } from '@sealcam/protocol';
import type { StatePaths } from './paths.js';
import { readOptional, writePrivateFile } from './secret-file.js';

/** What a running agent reports about itself (ids, counts and reasons only). */
export interface AgentStatus {
  readonly pid: number;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly deviceId: DeviceId;
  readonly relay: {
    readonly url: string;
    readonly state: string;
    readonly connectedSince: number | null;
    readonly reconnects: number;
    readonly lastError: string | null;
  };
  readonly outbox: {
    readonly depth: number;
    readonly bytes: number;
    readonly uploaded: number;
    /** Events the relay refused, kept on disk and retried later. */
    readonly deferred: number;
    readonly lastError: string | null;
  };
  readonly viewers: number;
  readonly cameras: readonly {
    readonly id: string;
    /** The opaque id the relay and viewers know it by (opaqueStreamId). */
    readonly streamId: string;
    readonly source: string;
    readonly frames: number;
    readonly framesSent: number;
    /** Someone watches it (a relay lease runs): every frame goes live; otherwise a keyframe now and then. */
    readonly watched: boolean;
    readonly lastFrameAt: number | null;
    readonly epoch: number | null;
    readonly events: number;
    readonly errors: number;
    readonly lastError: string | null;
    /** The camera source's reason for the last error (auth-failed, unreachable, …), if it gave one. */
    readonly lastErrorReason?: string | null;
    /** An RTSP passthrough camera's client (ffmpeg or gstreamer) and why `auto` chose it. */
    readonly rtspClient?: { readonly name: string; readonly why: string } | null;
  }[];
}

export async function writeStatus(paths: StatePaths, status: AgentStatus): Promise<void> {
  // Rewritten every few seconds and read by `status`: atomic, but not worth two fsyncs each time.
  await writePrivateFile(paths.status, `${JSON.stringify(status, null, 2)}\n`, { durable: false });
}

export async function readStatus(paths: StatePaths): Promise<AgentStatus | undefined> {
  const text = await readOptional(paths.status);
  if (!text) return undefined;
  try {
    return JSON.parse(text.toString('utf8')) as AgentStatus;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
