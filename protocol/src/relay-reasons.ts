/**
 * Every reason the relay gives for refusing or ending something, as one closed registry shared by
 * the relay (which emits them) and its clients (which act on them). A reason travels as:
 *   - the `error` field of an HTTP error body `{ "error": <reason>, "message": <text> }`,
 *   - the text of a WebSocket close frame, `<reason>` or `<reason>; retry-after=<seconds>`,
 *   - the `reason` field of a WebSocket control message `{ "op": "error", ... }`.
 * PROTOCOL.md §16 lists them; a test fails if one is missing there.
 */

/** WebSocket close codes the relay sends. */
export const RelayClose = {
  Normal: 1000,
  GoingAway: 1001,
  InternalError: 1011,
  BadMessage: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  Replaced: 4409,
  RateLimited: 4429,
  OverCapacity: 4503,
} as const;
export type RelayClose = (typeof RelayClose)[keyof typeof RelayClose];

/** What the registry says of one reason. */
export interface ReasonSpec {
  /** HTTP statuses that carry this reason (HTTP routes and the WebSocket upgrade). */
  readonly http?: readonly number[];
  /** The WebSocket close code that carries it. */
  readonly close?: RelayClose;
  /** Whether it appears in a WebSocket `op: "error"` control message. */
  readonly control?: true;
  /** Whether trying again later (after Retry-After / retry-after=N, with jitter) can succeed. */
  readonly retry: boolean;
  readonly doc: string;
}

export const RELAY_REASONS = {
  'invalid-request': {
    http: [400],
    retry: false,
    doc: 'the request does not match the route: path, query, headers or JSON body fail its schema',
  },
  'empty-body': { http: [400], retry: false, doc: 'a binary upload with an empty body' },
  'unsupported-media-type': {
    http: [415],
    retry: false,
    doc: 'binary uploads are application/octet-stream, JSON bodies application/json',
  },
  'too-large': {
    http: [413],
    close: RelayClose.BadMessage,
    retry: false,
    doc: 'the body or frame is larger than the limit of its route or of the live connection',
  },
  epoch: { http: [400], retry: false, doc: 'a manifest epoch outside 0 … 2^32−1' },
  range: { http: [400], retry: false, doc: 'an event listing whose "to" is before its "from"' },
  role: { http: [400], retry: false, doc: 'the identity card names a role other than device or viewer' },
  'invalid-access-list': { http: [400], retry: false, doc: 'the access list does not parse or verify' },
  'invalid-manifest': {
    http: [400],
    close: RelayClose.BadMessage,
    retry: false,
    doc: 'the key manifest does not parse or verify, or names another stream or epoch than the URL',
  },
  'invalid-event': {
    http: [400],
    retry: false,
    doc: 'the event envelope does not parse or verify, or names another event than the URL',
  },
  'invalid-thumbnail': { http: [400], retry: false, doc: 'the sealed thumbnail does not parse' },
  'invalid-chunk': { http: [400], retry: false, doc: 'the sealed clip chunk does not parse' },
  'invalid-item': {
    http: [400],
    retry: false,
    doc: 'the item header names another device, event or index than the URL',
  },
  'invalid-pairing-message': {
    http: [400],
    retry: false,
    doc: 'the pairing message does not parse, or its routing ids differ from the URL',
  },
  'invalid-statement': {
    http: [400],
    retry: false,
    doc: 'the inbox takes grants, revocations and name changes only',
  },
  'bad-message': {
    close: RelayClose.BadMessage,
    retry: false,
    doc: 'a message that is not what the live connection takes: a device sends binary live messages, a viewer JSON control messages of at most 4 KiB',
  },
  'invalid-frame': {
    close: RelayClose.BadMessage,
    retry: false,
    doc: 'a live frame whose header does not parse',
  },
  'too-many-streams': {
    close: RelayClose.BadMessage,
    retry: false,
    doc: 'a device connection used more streams than the relay allows per connection',
  },
  'missing-token': {
    http: [401],
    retry: false,
    doc: 'no session token: send Authorization: Bearer <token> (HTTP) or the subprotocol bearer.<token> (live connection)',
  },
  'token-malformed': {
    http: [401],
    retry: false,
    doc: 'the session token does not parse; authenticate again',
  },
  'token-bad-signature': {
    http: [401],
    retry: false,
    doc: 'the session token was not issued by this relay (or its key changed); authenticate again',
  },
  'token-expired': {
    http: [401],
    close: RelayClose.Unauthorized,
    retry: false,
    doc: 'the session token has expired; authenticate again',
  },
  reauthenticate: {
    http: [401],
    close: RelayClose.Unauthorized,
    retry: false,
    doc: 'the relay no longer holds this identity card, or refused the token of a session renewal; authenticate again',
  },
  'challenge-unknown': {
    http: [401],
    retry: false,
    doc: 'the challenge expired, was already used, or was never issued',
  },
  'proof-invalid': { http: [401], retry: false, doc: 'the auth proof does not verify' },
  'wrong-role': { http: [403], retry: false, doc: 'the route is for the other role (device or viewer)' },
  'not-this-device': { http: [403], retry: false, doc: 'a device may only write its own objects' },
  'wrong-device': {
    close: RelayClose.Forbidden,
    retry: false,
    doc: 'a live message names another device than the authenticated one',
  },
  'not-owner': {
    http: [403],
    retry: false,
    doc: "only the device's owner may do this (delete, grant, revoke)",
  },
  'no-grant': {
    http: [403],
    control: true,
    retry: false,
    doc: 'the device has not put this viewer on its access list',
  },
  'grant-revoked': {
    control: true,
    retry: false,
    doc: 'the device removed this viewer from its access list: its live and event feeds stop',
  },
  'too-many-subscriptions': {
    control: true,
    retry: false,
    doc: 'the connection already follows as many streams and event feeds as the relay allows',
  },
  'not-found': { http: [404], retry: false, doc: 'no such object or route' },
  conflict: {
    http: [409],
    close: RelayClose.BadMessage,
    retry: false,
    doc: 'a different object is already stored under this name (e.g. another manifest for the same epoch)',
  },
  'rate-limited': {
    http: [429],
    close: RelayClose.RateLimited,
    retry: true,
    doc: 'too many requests or messages from this identity or source; retry after the stated time',
  },
  'too-many-new-devices': {
    http: [429],
    retry: true,
    doc: 'this address logged in as too many device identities it had not shown in the last hour; retry after the stated time',
  },
  'mailbox-full': {
    http: [429],
    retry: true,
    doc: 'too many messages wait in this mailbox, or this viewer or address sent too many pairing requests lately',
  },
  'not-reading': {
    close: RelayClose.RateLimited,
    retry: true,
    doc: 'the viewer does not read its connection fast enough: its queue overflowed',
  },
  replaced: {
    close: RelayClose.Replaced,
    retry: false,
    doc: 'a newer live connection of the same device replaced this one',
  },
  'over-capacity': {
    http: [503],
    close: RelayClose.OverCapacity,
    retry: true,
    doc: 'the relay is admitting slowly (a reconnect storm) or holds too many connections; retry after the stated time, with jitter',
  },
  draining: {
    http: [503],
    close: RelayClose.GoingAway,
    retry: true,
    doc: 'the relay is shutting down; retry after the stated time, with jitter',
  },
  'store-unavailable': {
    http: [503],
    close: RelayClose.OverCapacity,
    control: true,
    retry: true,
    doc: 'the relay cannot reach its storage (a live manifest was not stored); retry later',
  },
  'relay-full': {
    http: [507],
    close: RelayClose.OverCapacity,
    retry: true,
    doc: 'the relay has no room for new objects now; retry later',
  },
  quota: {
    http: [507],
    close: RelayClose.OverCapacity,
    retry: true,
    doc: 'the device is over its storage quota; delete objects or wait for expiry',
  },
  internal: {
    http: [500],
    close: RelayClose.InternalError,
    retry: true,
    doc: 'an error inside the relay; nothing was stored half-way',
  },
} as const satisfies Record<string, ReasonSpec>;

export type RelayReason = keyof typeof RELAY_REASONS;

/** Every reason, in registry order (for schemas and documentation). */
export const RELAY_REASON_LIST = Object.keys(RELAY_REASONS) as readonly RelayReason[];

export function isRelayReason(value: unknown): value is RelayReason {
  return typeof value === 'string' && Object.hasOwn(RELAY_REASONS, value);
}

export function describeRelayReason(reason: RelayReason): string {
  return RELAY_REASONS[reason].doc;
}

/** The registry entry of a reason, typed as the common shape (carriers are optional). */
export function reasonSpec(reason: RelayReason): ReasonSpec {
  return RELAY_REASONS[reason];
}

/** The body of every HTTP error reply and WebSocket upgrade refusal. */
export interface RelayErrorBody {
  readonly error: RelayReason;
  readonly message: string;
}

/** Close reasons must fit in 123 bytes; the longest reason with retry-after fits easily. */
export function formatCloseReason(reason: RelayReason, retryAfterSeconds?: number): string {
  return retryAfterSeconds === undefined ? reason : `${reason}; retry-after=${Math.ceil(retryAfterSeconds)}`;
}

export interface ParsedRelayReason {
  /**
   * null: the peer sent no reason, or one this version does not know (a proxy's answer, a newer
   * relay): the client then acts on the HTTP status or close code alone (PROTOCOL.md §16.3).
   */
  readonly reason: RelayReason | null;
  readonly retryAfterSeconds: number | null;
}

const CLOSE_REASON = /^([a-z-]+)(?:; retry-after=(\d{1,6}))?$/;

/** Parses a WebSocket close reason written by `formatCloseReason`. */
export function parseCloseReason(text: string): ParsedRelayReason {
  const match = CLOSE_REASON.exec(text);
  if (!match || !isRelayReason(match[1])) return { reason: null, retryAfterSeconds: null };
  return { reason: match[1], retryAfterSeconds: match[2] === undefined ? null : Number(match[2]) };
}

/** Reads the reason of an HTTP error body (any JSON value; a missing or unknown one gives null). */
export function parseErrorBody(body: unknown): { reason: RelayReason | null; message: string } {
  if (typeof body !== 'object' || body === null) return { reason: null, message: '' };
  const { error, message } = body as Record<string, unknown>;
  return {
    reason: isRelayReason(error) ? error : null,
    message: typeof message === 'string' ? message.slice(0, 300) : '',
  };
}
