import { OBJECT_KINDS, type ObjectKind, type WorkerTally } from './tally.js';

export interface DrillOptions {
  readonly devices: number;
  readonly viewersPerDevice: number;
  readonly fault: 'mixup' | 'none';
  readonly mixupRate: number;
  readonly store: 'memory' | 'redis';
  readonly plaintextBaseline: boolean;
  readonly workers: number;
  readonly concurrency: number;
  readonly liveWave: number;
  readonly eventsBefore: number;
  readonly eventsAfter: number;
  /** Where simulated devices keep their viewer lists (default: the system's temp directory). */
  readonly stateRoot?: string;
}

export interface DrillReport {
  readonly mode: 'sealed' | 'plaintext-baseline';
  readonly store: 'memory' | 'redis';
  readonly fault: 'mixup' | 'none';
  readonly mixupRate: number;
  readonly devices: number;
  readonly viewers: number;
  /** Objects the relay served to viewers: listing entries, records, thumbnails, clip chunks, manifests, live frames. */
  readonly objectsServed: number;
  /** Served to a viewer but truly another home's (ground truth: which device made the bytes). */
  readonly misdelivered: number;
  /** Plaintext of another home returned to a viewer. */
  readonly openedByWrongViewer: number;
  /** Accepted as authentic although another camera made it (bytes or picture of another home). */
  readonly acceptedForeign: number;
  /** Plaintext baseline only: pictures of another home shown to a viewer. */
  readonly exposures?: number;
  readonly rejected: Readonly<Record<string, number>>;
  readonly reconnectAllSeconds: number;
  readonly reconnectP99Ms: number;
  /** Devices whose live connection was back after the storm (of `devices`). */
  readonly reconnected: number;
  readonly relayPeakRssMB: number;
  readonly seconds: number;
  readonly servedByKind: Readonly<Record<ObjectKind, number>>;
  readonly misdeliveredByKind: Readonly<Record<ObjectKind, number>>;
  /** Served objects whose bytes no simulated device made (must be 0: the harness saw everything made). */
  readonly unknownServed: number;
  /** The relay's own count of the misroutes its fault seam injected. */
  readonly relayFaultMisroutes: number;
  readonly eventsListed: number;
  readonly eventsOpened: number;
  /** Listing entries served to a viewer that are truly its own camera's events (ground truth). */
  readonly ownEventsListed: number;
  /** Events whose record opened ÷ own events listed: how complete the rightful owner's view is. */
  readonly ownEventsOpenedShare: number;
  /** The same with record, thumbnail and clip all opened. */
  readonly ownEventsCompleteShare: number;
  /** Viewers that saw at least one live picture ÷ viewers. */
  readonly liveShare: number;
  readonly ownPicturesShown: number;
  readonly liveFramesShown: number;
  readonly viewersWithoutLive: number;
  readonly phaseSeconds: Readonly<Record<string, number>>;
}

function byKind(): Record<ObjectKind, number> {
  return Object.fromEntries(OBJECT_KINDS.map((kind) => [kind, 0])) as Record<ObjectKind, number>;
}

/** Joins every worker's ground truth with what every viewer was served; the relay is never asked who made what. */
export function joinTallies(
  options: DrillOptions,
  tallies: readonly WorkerTally[],
  measured: Pick<
    DrillReport,
    | 'reconnectAllSeconds'
    | 'reconnectP99Ms'
    | 'relayPeakRssMB'
    | 'relayFaultMisroutes'
    | 'phaseSeconds'
    | 'seconds'
  > &
    Partial<Pick<DrillReport, 'reconnected'>>,
): DrillReport {
  const truth = new Map<string, number>();
  for (const tally of tallies) for (const [key, home] of tally.truth) truth.set(key, home);
  const servedByKind = byKind();
  const misdeliveredByKind = byKind();
  let unknownServed = 0;
  let ownEventsListed = 0;
  let acceptedForeignBytes = 0;
  const rejected: Record<string, number> = {};
  const sum = (field: keyof WorkerTally) =>
    tallies.reduce((total, tally) => total + (tally[field] as number), 0);
  for (const tally of tallies) {
    for (const [viewerHome, kindCode, key, accepted] of tally.served) {
      const kind = OBJECT_KINDS[kindCode]!;
      servedByKind[kind]++;
      const origin = truth.get(key);
      if (origin === undefined) {
        unknownServed++;
        continue;
      }
      if (origin === viewerHome) {
        if (kind === 'listing') ownEventsListed++;
        continue;
      }
      misdeliveredByKind[kind]++;
      if (accepted) acceptedForeignBytes++;
    }
    for (const [reason, count] of Object.entries(tally.rejected))
      rejected[reason] = (rejected[reason] ?? 0) + count;
  }
  const total = (counts: Record<ObjectKind, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const viewers = options.devices * options.viewersPerDevice;
  return {
    mode: options.plaintextBaseline ? 'plaintext-baseline' : 'sealed',
    store: options.store,
    fault: options.fault,
    mixupRate: options.fault === 'mixup' ? options.mixupRate : 0,
    devices: options.devices,
    viewers,
    objectsServed: total(servedByKind),
    misdelivered: total(misdeliveredByKind),
    openedByWrongViewer: sum('openedByWrongViewer'),
    acceptedForeign: acceptedForeignBytes + sum('acceptedForeignContent'),
    // Without sealing, every picture of another home that reached a viewer was shown to it.
    ...(options.plaintextBaseline ? { exposures: sum('openedByWrongViewer') } : {}),
    rejected,
    reconnectAllSeconds: round(measured.reconnectAllSeconds, 2),
    reconnectP99Ms: round(measured.reconnectP99Ms, 0),
    reconnected: measured.reconnected ?? 0,
    relayPeakRssMB: measured.relayPeakRssMB,
    seconds: round(measured.seconds, 1),
    servedByKind,
    misdeliveredByKind,
    unknownServed,
    relayFaultMisroutes: measured.relayFaultMisroutes,
    eventsListed: sum('eventsListed'),
    eventsOpened: sum('eventsOpened'),
    ownEventsListed,
    ownEventsOpenedShare: share(sum('eventsOpened'), ownEventsListed),
    ownEventsCompleteShare: share(sum('eventsComplete'), ownEventsListed),
    liveShare: share(viewers - sum('viewersWithoutLive'), viewers),
    ownPicturesShown: sum('ownPicturesShown'),
    liveFramesShown: sum('liveFramesShown'),
    viewersWithoutLive: sum('viewersWithoutLive'),
    phaseSeconds: Object.fromEntries(Object.entries(measured.phaseSeconds).map(([k, v]) => [k, round(v, 1)])),
  };
}

/** part ÷ whole to 4 digits (0 when there is no whole). */
function share(part: number, whole: number): number {
  return whole > 0 ? round(part / whole, 4) : 0;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The report as a two-column text table. */
export function formatReport(report: DrillReport): string {
  const rows: [string, string | number][] = [
    ['mode', report.mode],
    ['store', report.store],
    ['fault', report.fault === 'mixup' ? `mixup at rate ${report.mixupRate}` : 'none'],
    ['devices', report.devices],
    ['viewers', report.viewers],
    ['objectsServed', report.objectsServed],
    ['misdelivered', report.misdelivered],
    ['openedByWrongViewer', report.openedByWrongViewer],
    ['acceptedForeign', report.acceptedForeign],
    ...(report.exposures !== undefined ? [['exposures', report.exposures] as [string, number]] : []),
    ...Object.entries(report.rejected)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, count]) => [`rejected ${reason}`, count] as [string, number]),
    ['reconnectAllSeconds', report.reconnectAllSeconds],
    ['reconnectP99Ms', report.reconnectP99Ms],
    ['reconnected', `${report.reconnected} of ${report.devices}`],
    ['relayPeakRssMB', report.relayPeakRssMB],
    ['seconds', report.seconds],
    ['served by kind', kinds(report.servedByKind)],
    ['misdelivered by kind', kinds(report.misdeliveredByKind)],
    ['relay fault misroutes', report.relayFaultMisroutes],
    ['unknown objects served', report.unknownServed],
    ['events listed / opened', `${report.eventsListed} / ${report.eventsOpened}`],
    [
      'own events listed / opened share / complete share',
      `${report.ownEventsListed} / ${report.ownEventsOpenedShare} / ${report.ownEventsCompleteShare}`,
    ],
    ['viewers that saw live (share)', report.liveShare],
    ['own pictures shown', report.ownPicturesShown],
    ['live frames shown', report.liveFramesShown],
    ['viewers without live', report.viewersWithoutLive],
    ['phase seconds', kinds(report.phaseSeconds)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}

function kinds(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
}
