import type { EventRecord } from '@sealcam/protocol';
import { ViewerError } from '../sdk/errors.js';
import type { DeviceId, EventListing, Viewer } from '../sdk/index.js';
import { bytesText, time } from './format.js';

/** What the relay listed for an event: its claims, not verified. */
type Listed = Omit<EventListing, 'eventId'>;

/**
 * One listed event after `events --open`. Only an `ok` row carries a time and a stream, and they are
 * the sealed record's; the relay's claims stay apart under `listed`.
 *  - `not-shared`: the camera's own, authentic record (signature and event id verified), not sealed
 *    for this viewer: recorded before its access began or after it ended. Not a failure.
 *  - `rejected`: what the relay served did not verify; `unavailable`: the relay served nothing
 *    (e.g. an event it invented). Either makes the command fail: the listing was not all true.
 */
export type OpenedRow =
  | {
      readonly eventId: string;
      readonly status: 'ok';
      readonly time: number;
      readonly streamId: string;
      readonly listed: Listed;
      readonly record: Pick<EventRecord, 'kind' | 'streamId' | 'start' | 'end' | 'score' | 'labels'> & {
        readonly thumbnailBytes: number | null;
        readonly clipBytes: number | null;
        readonly clipFrames: number | null;
      };
    }
  | {
      readonly eventId: string;
      readonly status: 'not-shared' | 'rejected' | 'unavailable';
      readonly listed: Listed;
      readonly reason: string;
      readonly message: string;
    };

/** Opens one listed event's record and says what it is (never the relay's word for the verified fields). */
export async function openedRow(viewer: Viewer, deviceId: DeviceId, event: EventListing): Promise<OpenedRow> {
  const listed = { streamId: event.streamId, time: event.time, bytes: event.bytes };
  try {
    const { record } = await viewer.openEvent(deviceId, event.eventId);
    return {
      eventId: event.eventId,
      status: 'ok',
      time: record.start,
      streamId: record.streamId,
      listed,
      record: {
        kind: record.kind,
        streamId: record.streamId,
        start: record.start,
        end: record.end,
        score: record.score,
        labels: record.labels,
        thumbnailBytes: record.thumbnail?.bytes ?? null,
        clipBytes: record.clip?.bytes ?? null,
        clipFrames: record.clip?.frames ?? null,
      },
    };
  } catch (error) {
    if (!(error instanceof ViewerError)) throw error;
    const status =
      error.reason === 'NOT_RECIPIENT'
        ? 'not-shared'
        : error.verificationFailure
          ? 'rejected'
          : 'unavailable';
    return { eventId: event.eventId, status, listed, reason: error.reason, message: error.userMessage };
  }
}

/**
 * Verified rows with the record's own time and camera (named by `nameOf`, from the device's sealed
 * profile); rows that did not verify with the relay's claims marked as such; events not shared with
 * this viewer as one line.
 */
export function printOpenedRows(
  rows: readonly OpenedRow[],
  nameOf: (streamId: string) => string = (streamId) => streamId,
): void {
  const notShared = rows.filter((row) => row.status === 'not-shared').length;
  if (rows.length === 0) console.log('no events');
  for (const row of rows) {
    if (row.status === 'ok') {
      const r = row.record;
      const clip = r.clipBytes === null ? 'no clip' : `clip ${r.clipFrames} frames ${bytesText(r.clipBytes)}`;
      const thumbnail =
        r.thumbnailBytes === null ? 'no thumbnail' : `thumbnail ${bytesText(r.thumbnailBytes)}`;
      console.log(
        `${time(r.start)}  ${nameOf(r.streamId)}  ${row.eventId}  OK  ${time(r.start)} to ${time(r.end)}  score ${r.score.toFixed(2)}  ${thumbnail}  ${clip}`,
      );
    } else if (row.status !== 'not-shared') {
      const verdict = row.status === 'rejected' ? 'REJECTED' : 'UNAVAILABLE';
      console.log(
        `${row.eventId}  ${verdict}: ${row.message} (${row.reason}); listed by the relay as ${time(row.listed.time)} ${row.listed.streamId}, not verified`,
      );
    }
  }
  if (notShared > 0)
    console.log(
      `${notShared} ${notShared === 1 ? 'event is' : 'events are'} not shared with you (recorded before your access began, or after it ended)`,
    );
}
