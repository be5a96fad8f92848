/** Which events a timeline shows: one camera, one kind, one local day (first and last ms). */
export interface TimelineFilter {
  readonly streamId?: string;
  readonly kind?: string;
  readonly day?: { readonly from: number; readonly to: number };
}

/**
 * What a row is known to be: the relay's listing until the record verified, then the record's own
 * (device-signed) stream, start time and kind, so a relay cannot put another camera's or another
 * day's event under a filter once it is opened.
 */
export interface RowFacts {
  readonly streamId: string;
  readonly time: number;
  /** Known once the record verified. */
  readonly kind?: string;
}

/** Whether a row is shown under a filter. A row whose kind is not known yet waits, shown. */
export function rowMatches(filter: TimelineFilter, row: RowFacts): boolean {
  if (filter.streamId !== undefined && row.streamId !== filter.streamId) return false;
  if (filter.day && (row.time < filter.day.from || row.time > filter.day.to)) return false;
  return filter.kind === undefined || row.kind === undefined || row.kind === filter.kind;
}

/** Whether a filter narrows anything. */
export function isFiltered(filter: TimelineFilter): boolean {
  return filter.streamId !== undefined || filter.kind !== undefined || filter.day !== undefined;
}
