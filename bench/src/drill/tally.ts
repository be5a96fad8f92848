/** Kinds of objects a viewer can be served; the index is the code sent between processes. */
export const OBJECT_KINDS = ['listing', 'record', 'thumbnail', 'chunk', 'manifest', 'frame'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** One object served to one viewer: [viewer's home, kind code, ground-truth key, accepted 0|1]. */
export type ServedEntry = [number, number, string, number];

/** What one worker saw. Ground truth of other workers' homes is joined by the orchestrator. */
export interface WorkerTally {
  /** Objects this worker's devices made: [key, home]. */
  truth: [string, number][];
  served: ServedEntry[];
  /** Refusals by reason (the SDK's ViewerError reasons; RELAY_ERROR for the relay's 4xx/5xx). */
  rejected: Record<string, number>;
  /** Plaintext returned to a viewer that carries another home's marker. */
  openedByWrongViewer: number;
  /** Content the SDK accepted whose marker names another camera than the one asked for. */
  acceptedForeignContent: number;
  /** Pictures (thumbnails, clip frames, live frames) shown to their own viewer. */
  ownPicturesShown: number;
  liveFramesShown: number;
  viewersWithoutLive: number;
  eventsListed: number;
  /** Listed events whose record opened. */
  eventsOpened: number;
  /** Listed events whose record, thumbnail and clip all opened. */
  eventsComplete: number;
}

export function emptyTally(): WorkerTally {
  return {
    truth: [],
    served: [],
    rejected: {},
    openedByWrongViewer: 0,
    acceptedForeignContent: 0,
    ownPicturesShown: 0,
    liveFramesShown: 0,
    viewersWithoutLive: 0,
    eventsListed: 0,
    eventsOpened: 0,
    eventsComplete: 0,
  };
}

/**
 * The rejection reason of an error the SDK did not classify: its name only, since a message can
 * quote the bytes it choked on (JSON.parse does), and the report prints every reason.
 */
export function unexpected(error: unknown): string {
  return `UNEXPECTED:${error instanceof Error ? error.name : typeof error}`;
}

export function countRejection(tally: WorkerTally, reason: string): void {
  tally.rejected[reason] = (tally.rejected[reason] ?? 0) + 1;
}

export function serve(
  tally: WorkerTally,
  home: number,
  kind: ObjectKind,
  key: string,
  accepted: boolean,
): void {
  tally.served.push([home, OBJECT_KINDS.indexOf(kind), key, accepted ? 1 : 0]);
}

/** The kind of content an HTTP path of the relay API serves, or null for anything else. */
export function kindOfPath(path: string): ObjectKind | null {
  if (/^\/v1\/devices\/[^/]+\/events$/.test(path)) return 'listing';
  if (/^\/v1\/devices\/[^/]+\/events\/[^/]+$/.test(path)) return 'record';
  if (/^\/v1\/devices\/[^/]+\/events\/[^/]+\/thumbnail$/.test(path)) return 'thumbnail';
  if (/^\/v1\/devices\/[^/]+\/events\/[^/]+\/chunks\/\d+$/.test(path)) return 'chunk';
  return null;
}
