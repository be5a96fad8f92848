import { type EventId, isEventId } from '@sealcam/protocol/relay-safe';

/** Key names shared by the backends (Redis prefixes them with its namespace). */
export const key = {
  card: (id: string) => `card:${id}`,
  challenge: (challenge: string) => `challenge:${challenge}`,
  accessList: (deviceId: string) => `acl:${deviceId}`,
  manifest: (deviceId: string, streamId: string, epoch: number) =>
    `manifest:${deviceId}:${streamId}:${epoch}`,
  streams: (deviceId: string) => `streams:${deviceId}`,
  keyframe: (deviceId: string, streamId: string) => `keyframe:${deviceId}:${streamId}`,
  envelope: (deviceId: string, eventId: string) => `event:${deviceId}:${eventId}`,
  item: (deviceId: string, eventId: string, item: string) => `item:${deviceId}:${eventId}:${item}`,
  items: (deviceId: string, eventId: string) => `items:${deviceId}:${eventId}`,
  /** Committed events by public time (listing). */
  timeline: (deviceId: string) => `timeline:${deviceId}`,
  /** Every event seen (committed or not) by first upload time, for retention and quota. */
  charges: (deviceId: string) => `charges:${deviceId}`,
  chargeBytes: (deviceId: string) => `charge-bytes:${deviceId}`,
  /** The home each charge is charged to (fair-share.ts). */
  chargeHomes: (deviceId: string) => `charge-homes:${deviceId}`,
  mailbox: (box: string) => `mailbox:${box}`,
};

/** Listing cursor: "<time>:<eventId>" of the last event returned. */
export function encodeCursor(time: number, eventId: string): string {
  return `${time}:${eventId}`;
}

export function decodeCursor(cursor: string): { time: number; eventId: EventId } | null {
  const match = /^(\d{1,16}):(.*)$/.exec(cursor);
  if (!match || !isEventId(match[2])) return null;
  return { time: Number(match[1]), eventId: match[2] };
}
