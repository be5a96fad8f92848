import { toBase32 } from './bytes.js';
import { ID_BYTES } from './constants.js';
import { fail } from './errors.js';

/**
 * Text ids as they travel in URLs, JSON and the store. Each kind is its own branded type, so a
 * device id cannot be passed where a stream or event id is expected: a swapped id is the
 * incident's own failure mode. The grammar of each is defined here and nowhere else.
 */
declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };

/** A device's id: `formatId(idFromSignKey(device signing key))`. */
export type DeviceId = Branded<string, 'DeviceId'>;
/** A viewer's id: `formatId(idFromSignKey(viewer signing key))`. */
export type ViewerId = Branded<string, 'ViewerId'>;
/** An event's id: `formatId` of its 16 random bytes. */
export type EventId = Branded<string, 'EventId'>;
/** A stream (camera) of a device: visible routing id (STREAM_ID_RULE). */
export type StreamId = Branded<string, 'StreamId'>;

/** One character of an id: lower-case RFC 4648 base32 (PROTOCOL.md §1.1). */
export const ID_CHARACTER_CLASS = '[a-z2-7]';
/**
 * 26 id characters: 16 bytes, no padding (PROTOCOL.md §1.1, §3.2). Unanchored, for ids inside longer
 * text (file names, log lines, paths); ID_TEXT_PATTERN is the whole-string form.
 */
export const ID_TEXT_SOURCE = `${ID_CHARACTER_CLASS}{26}`;
export const ID_TEXT_PATTERN = `^${ID_TEXT_SOURCE}$`;
/** The stream id grammar in words, for error messages. */
export const STREAM_ID_RULE = '1..64 characters of [A-Za-z0-9._-]';
/** STREAM_ID_RULE as a regular expression (PROTOCOL.md §1.1), unanchored. */
export const STREAM_ID_TEXT_SOURCE = '[A-Za-z0-9._-]{1,64}';
export const STREAM_ID_TEXT_PATTERN = `^${STREAM_ID_TEXT_SOURCE}$`;

const ID_TEXT = new RegExp(ID_TEXT_PATTERN);
const STREAM_ID_TEXT = new RegExp(STREAM_ID_TEXT_PATTERN);

/**
 * The text grammar only: routing (URLs, store keys, subscriptions) needs no more. Decoding the
 * bytes (`parseId`, `fromBase32`) additionally rejects non-zero unused trailing bits.
 */
function isIdText(value: unknown): value is string {
  return typeof value === 'string' && ID_TEXT.test(value);
}

export const isDeviceId = (value: unknown): value is DeviceId => isIdText(value);
export const isViewerId = (value: unknown): value is ViewerId => isIdText(value);
export const isEventId = (value: unknown): value is EventId => isIdText(value);
export const isStreamId = (value: unknown): value is StreamId =>
  typeof value === 'string' && STREAM_ID_TEXT.test(value);

function parsed<T>(ok: boolean, value: unknown, what: string): T {
  if (!ok) fail('MALFORMED', `not a ${what}`);
  return value as T;
}

/** Parses text into a branded id or throws SealError MALFORMED. */
export const parseDeviceId = (value: unknown): DeviceId => parsed(isDeviceId(value), value, 'device id');
export const parseViewerId = (value: unknown): ViewerId => parsed(isViewerId(value), value, 'viewer id');
export const parseEventId = (value: unknown): EventId => parsed(isEventId(value), value, 'event id');
export const parseStreamId = (value: unknown): StreamId => parsed(isStreamId(value), value, 'stream id');

/**
 * The text of a 16-byte id, already branded: base32 of 16 bytes always meets the id grammar, so
 * nothing is re-checked (the relay's bus path calls this per frame).
 */
function idText(bytes: Uint8Array): string {
  if (bytes.length !== ID_BYTES) fail('MALFORMED', 'an id is 16 bytes');
  return toBase32(bytes);
}
export const deviceIdOf = (bytes: Uint8Array): DeviceId => idText(bytes) as DeviceId;
export const viewerIdOf = (bytes: Uint8Array): ViewerId => idText(bytes) as ViewerId;
export const eventIdOf = (bytes: Uint8Array): EventId => idText(bytes) as EventId;
