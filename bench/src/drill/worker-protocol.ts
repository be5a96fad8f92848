import type { WorkerTally } from './tally.js';

/** The drill's phases, in order; each worker runs one when told and reports when done. */
export const PHASES = [
  'pair',
  'upload',
  'connect',
  'stream',
  'offline',
  'online',
  'reupload',
  'view',
] as const;
export type Phase = (typeof PHASES)[number];

export interface WorkerSetup {
  readonly relayUrl: string;
  /** Homes [from, to): home h is device h and its viewers. */
  readonly from: number;
  readonly to: number;
  readonly viewersPerDevice: number;
  readonly plaintext: boolean;
  readonly stateRoot: string;
  /** Homes worked on at once in the HTTP phases. */
  readonly concurrency: number;
  /** Homes watching live at once. */
  readonly liveWave: number;
  readonly eventsBefore: number;
  readonly eventsAfter: number;
}

export type ToWorker =
  | { readonly type: 'setup'; readonly setup: WorkerSetup }
  | { readonly type: 'phase'; readonly phase: Phase }
  | { readonly type: 'report' };

/** What a phase measured (milliseconds), beyond being done. */
export interface PhaseResult {
  /** `connect` and `online`: each connected device's time from its start until connected (one entry per device back). */
  readonly connectMs?: number[];
  /** `online`: from the start signal until the last device was connected. */
  readonly allConnectedMs?: number;
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly phase: Phase; readonly result: PhaseResult }
  | { readonly type: 'failed'; readonly phase: Phase | 'setup' | 'report'; readonly message: string }
  | { readonly type: 'tally'; readonly tally: WorkerTally };
