/**
 * Redis backend of the Store, shared by every relay process of a deployment.
 *
 * Key layout (every name is `<keyPrefix>` + a name from keys.ts):
 *   card:<id>                    STRING  identity card bytes, PX = the identity TTL, renewed per authentication
 *   challenge:<c>                STRING  "1" with PX = the challenge TTL; taken with DEL
 *   acl:<device>                 HASH    version -> number, bytes -> access list, PX = the identity
 *                                        TTL, renewed per put and per authentication of the device
 *   manifest:<d>:<s>:<epoch>     STRING  manifest bytes, PX = retention.ttlMs
 *   streams:<d>                  HASH    streamId -> latest epoch (PX refreshed to the longest TTL)
 *   keyframe:<d>:<s>             STRING  latest keyframe, PX = retention.ttlMs
 *   event:<d>:<e>                STRING  envelope, PX = retention.ttlMs
 *   item:<d>:<e>:<item>          STRING  thumbnail / chunk bytes, PX = retention.ttlMs
 *   items:<d>:<e>                HASH    item name -> bytes, plus "@timeline" -> timeline member
 *   timeline:<d>                 ZSET    committed events, all scores 0, lexicographic members
 *                                        "<time, 16 digits> <eventId> <streamId>"
 *   charges:<d>                  ZSET    charge -> first upload time (retention); a charge is an event
 *                                        id, m:<stream>:<epoch> (manifest), k:<stream> (keyframe) or
 *                                        "a" (the access list: its score + retention = its expiry)
 *   charge-bytes:<d>             HASH    charge -> bytes charged
 *   charge-homes:<d>             HASH    charge -> the home it is charged to (its first write's)
 *   store:usage                  HASH    identity -> bytes charged (events, manifests, keyframes,
 *                                        access list); an identity holding none has no field
 *   store:used                   STRING  their sum: what storeMaxBytes bounds
 *   store:home-usage             HASH    home -> bytes charged to it (fair-share.ts)
 *   store:owners                 ZSET    device -> its oldest timed charge (sweeping silent devices)
 *   mailbox:<box>                LIST    messages (FIFO), PX = the given TTL from the first push
 *   mailbox-group:<group>        ZSET    box key -> creation time, of the boxes sharing a budget
 *   mailbox-group-bytes:<group>  HASH    "b:"/"n:" + box key -> bytes / messages, "#bytes", "#count"
 *   mailbox-protected:<group>    STRING  the box key its device polls, PX = the protection time
 *   mailbox-sender:<sender>      STRING  bytes accepted from the sender in this window, PX = window
 *
 * The relay keeps its own byte accounting (fair-share.ts) and refuses before storeMaxBytes, which
 * is kept below Redis' maxmemory (warned at start otherwise): Redis itself never runs out of memory
 * on an upload, and challenges and cards (tiny, outside the budget) always fit in the headroom.
 *
 * Every mutation that spans several keys is one Lua script (EVALSHA, EVAL on NOSCRIPT), so a
 * relay process dying mid-request or two processes racing never leave half-stored events or
 * double charges. The listing indexes of a device (streams, timeline, items) get a TTL refreshed
 * to the longest retention seen, so those of a device that went silent disappear with its blobs.
 * Its charge index (charges, charge-bytes, charge-homes) has no TTL: it is what releases, to the
 * right device and home, the bytes of a device that went silent, at the next write of any device
 * (the sweep over store:owners), and it empties (and so disappears) as its charges are released.
 *
 * The scripts build the per-event key names of a device from the prefix and the device id (they
 * cannot be declared up front: pruning discovers them), so they need a single Redis, not Cluster.
 *
 * Nothing here logs; errors go to `onError` (connection errors only, never key names or bytes).
 */
import { createHash } from 'node:crypto';
import {
  type DeviceId,
  type EventId,
  isEventId,
  isStreamId,
  parseStreamId,
  type StreamId,
  type ViewerId,
} from '@sealcam/protocol/relay-safe';
import { createClient, RESP_TYPES } from 'redis';
import { HIGH_WATER, homeOf, OBJECT_OVERHEAD_BYTES } from './fair-share.js';
import { decodeCursor, encodeCursor, key } from './keys.js';
import type {
  EventItem,
  EventListing,
  EventPage,
  ListQuery,
  MailboxBounds,
  MailboxPush,
  MailboxTake,
  PutResult,
  ReplaceResult,
  Retention,
  Store,
  StoreStats,
} from './store.js';
import { MAILBOX_POOL_OVERHEAD } from './store.js';

export interface RedisStoreOptions {
  readonly url: string;
  /** Bytes the relay lets the store hold (its own accounting, kept below Redis' maxmemory). */
  readonly maxBytes: number;
  /** Namespace of every key; default 'sealcam:'. */
  readonly keyPrefix?: string | undefined;
  /** Bound of the initial connection and of each (re)connection attempt; default 5000 ms. */
  readonly connectTimeoutMs?: number | undefined;
  /** Bound of each command (it rejects after this); default 5000 ms. */
  readonly commandTimeoutMs?: number | undefined;
  /** Connection errors (the store keeps reconnecting). Messages carry no key or content bytes. */
  readonly onError?: ((error: Error) => void) | undefined;
}

export type RedisClient = ReturnType<typeof createClient>;
type Arg = string | Buffer;

const BINARY = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
/** Times are written with this many digits so that members sort by time lexicographically. */
const TIME_DIGITS = 16;
const MAX_TIME = 10 ** TIME_DIGITS - 1;
const CLOSE_BOUND_MS = 2000;

const RESULTS: readonly PutResult[] = ['created', 'exists', 'conflict', 'quota', 'full'];

class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/**
 * Shared by the charging scripts. ARGV[1..2] = key prefix, device id; the writing scripts end their
 * ARGV with the write's home and the home quota (`writeHome`). Every stored byte is charged to its
 * device in `store:usage`, to the home of its charge in `store:home-usage` and in the total
 * `store:used` (fair-share.ts has the rule `admit` mirrors); `store:owners` holds each device by its oldest timed charge, so writes of any device
 * release what a silent device's expired objects held.
 */
const LIBRARY = `
local P, D = ARGV[1], ARGV[2]
local USED, USAGE, OWNERS = P .. 'store:used', P .. 'store:usage', P .. 'store:owners'
local HOME_USAGE = P .. 'store:home-usage'
local HIGH_WATER = ${HIGH_WATER}
-- Charged per object on top of its length (fair-share.ts).
local OVERHEAD = ${OBJECT_OVERHEAD_BYTES}
local TLF = '@timeline'
local function timelineKey(d) return P .. 'timeline:' .. d end
local function chargesKey(d) return P .. 'charges:' .. d end
local function chargeBytesKey(d) return P .. 'charge-bytes:' .. d end
local function chargeHomesKey(d) return P .. 'charge-homes:' .. d end
-- The home of a write, and what a home may hold: the last two ARGV of a writing script.
local function writeHome() return ARGV[#ARGV - 1], tonumber(ARGV[#ARGV]) end
-- The home charge e of d is charged to ("id:<d>" if none was recorded).
local function chargeHome(d, e) return redis.call('HGET', chargeHomesKey(d), e) or ('id:' .. d) end
local function eventKey(d, e) return P .. 'event:' .. d .. ':' .. e end
local function itemsKey(d, e) return P .. 'items:' .. d .. ':' .. e end
local function itemKey(d, e, i) return P .. 'item:' .. d .. ':' .. e .. ':' .. i end
local function touch(k, ttl)
  local left = redis.call('PTTL', k)
  if left ~= -2 and left < ttl then redis.call('PEXPIRE', k, ttl) end
end
local function mine(d) return tonumber(redis.call('HGET', USAGE, d) or '0') end
-- Adds (or, negative, releases) bytes charged to device d, to a home and to the total.
local function charge(d, home, delta)
  if delta == 0 then return end
  local after = redis.call('HINCRBY', USAGE, d, delta)
  if after <= 0 then
    redis.call('HDEL', USAGE, d)
    delta = delta - after
  end
  if redis.call('HINCRBY', HOME_USAGE, home, delta) <= 0 then redis.call('HDEL', HOME_USAGE, home) end
  if redis.call('INCRBY', USED, delta) < 0 then redis.call('SET', USED, 0) end
end
-- 0 ok, 3 quota, 4 full: the rule of fair-share.ts admit().
local function admit(d, home, size, quota, homeQuota, max)
  if size <= 0 then return 0 end
  local held = mine(d)
  if held + size > quota then return 3 end
  local homeHeld = tonumber(redis.call('HGET', HOME_USAGE, home) or '0')
  if homeHeld + size > homeQuota then return 3 end
  local total = tonumber(redis.call('GET', USED) or '0')
  if total + size <= max * HIGH_WATER then return 0 end
  local storing = redis.call('HLEN', USAGE)
  if held == 0 then storing = storing + 1 end
  if held + size > max / (storing + 1) then return 3 end
  local homes = redis.call('HLEN', HOME_USAGE)
  if homeHeld == 0 then homes = homes + 1 end
  if homeHeld + size > max / (homes + 1) then return 3 end
  if total + size > max then return 4 end
  return 0
end
-- A charge is an event id, "m:<stream>:<epoch>" (a manifest) or "k:<stream>" (a keyframe).
local function removeCharge(d, e)
  local kind = string.sub(e, 1, 2)
  if e == 'a' then
    redis.call('DEL', P .. 'acl:' .. d)
  elseif kind == 'm:' then
    redis.call('DEL', P .. 'manifest:' .. d .. ':' .. string.sub(e, 3))
  elseif kind == 'k:' then
    redis.call('DEL', P .. 'keyframe:' .. d .. ':' .. string.sub(e, 3))
  else
    local ik = itemsKey(d, e)
    local fields = redis.call('HKEYS', ik)
    for _, f in ipairs(fields) do
      if f == TLF then
        redis.call('ZREM', timelineKey(d), redis.call('HGET', ik, TLF))
      else
        redis.call('DEL', itemKey(d, e, f))
      end
    end
    redis.call('DEL', ik, eventKey(d, e))
  end
  local CB = chargeBytesKey(d)
  local charged = tonumber(redis.call('HGET', CB, e) or '0')
  charge(d, chargeHome(d, e), -charged)
  redis.call('HDEL', CB, e)
  redis.call('HDEL', chargeHomesKey(d), e)
  redis.call('ZREM', chargesKey(d), e)
end
-- Removes charges of d first seen before the cutoff (a decimal string), at most 1024 per call so
-- one script never blocks Redis for long; later writes continue where this one stopped (until
-- then the checks count a little more than they must, which errs on the safe side).
local function prune(d, cutoff)
  for _ = 1, 4 do
    local old = redis.call('ZRANGEBYSCORE', chargesKey(d), '-inf', '(' .. cutoff, 'LIMIT', 0, 256)
    if #old == 0 then return end
    for _, e in ipairs(old) do removeCharge(d, e) end
  end
end
-- Files d under its oldest timed charge (its access list is one: "a"). With none left (pruned, or
-- its index expired), d holds nothing but, at most, an access list whose charge index expired.
local function reindex(d)
  local oldest = redis.call('ZRANGE', chargesKey(d), 0, 0, 'WITHSCORES')
  if #oldest > 0 then
    redis.call('ZADD', OWNERS, oldest[2], d)
    return
  end
  redis.call('ZREM', OWNERS, d)
  local acl = P .. 'acl:' .. d
  local held = 0
  if redis.call('EXISTS', acl) == 1 then held = redis.call('HSTRLEN', acl, 'bytes') + OVERHEAD end
  charge(d, chargeHome(d, 'a'), held - mine(d))
end
-- Releases what up to two silent devices' expired objects held.
local function sweep(cutoff)
  local stale = redis.call('ZRANGEBYSCORE', OWNERS, '-inf', '(' .. cutoff, 'LIMIT', 0, 2)
  for _, d in ipairs(stale) do
    prune(d, cutoff)
    reindex(d)
  end
end
-- Stores object k (of charge e) unless it exists, pruning first and charging its size to D.
-- Returns 0 stored, 1 exists (same bytes), 2 conflict, 3 quota, 4 full. The caller records the
-- object in its indexes and touches them itself (a key must exist before its expiry can be set).
local function storeCharged(k, e, bytes, now, cutoff, ttl, quota, max)
  local existing = redis.call('GET', k)
  if existing then
    if existing == bytes then return 1 end
    return 2
  end
  sweep(cutoff)
  prune(D, cutoff)
  local size = string.len(bytes) + OVERHEAD
  local CH, CB, CHH = chargesKey(D), chargeBytesKey(D), chargeHomesKey(D)
  local writing, homeQuota = writeHome()
  local home = redis.call('HGET', CHH, e) or writing
  local verdict = admit(D, home, size, tonumber(quota), homeQuota, tonumber(max))
  if verdict ~= 0 then
    reindex(D)
    return verdict
  end
  redis.call('SET', k, bytes, 'PX', ttl)
  redis.call('ZADD', CH, 'NX', now, e)
  redis.call('HINCRBY', CB, e, size)
  redis.call('HSETNX', CHH, e, home)
  charge(D, home, size)
  reindex(D)
  return 0
end
`;

/** Result codes: 0 created, 1 exists, 2 conflict, 3 quota, 4 full (index into RESULTS). */
const PUT_ITEM = new Script(`${LIBRARY}
-- KEYS[1] item, KEYS[2] items; ARGV[3] event, [4] item name, [5] bytes, [6] now, [7] cutoff,
-- [8] ttl, [9] quota, [10] store max bytes
local ttl = tonumber(ARGV[8])
local result = storeCharged(KEYS[1], ARGV[3], ARGV[5], ARGV[6], ARGV[7], ttl, ARGV[9], ARGV[10])
if result ~= 0 then return result end
redis.call('HSET', KEYS[2], ARGV[4], string.len(ARGV[5]))
touch(KEYS[2], ttl)
touch(timelineKey(D), ttl)
return 0
`);

const COMMIT = new Script(`${LIBRARY}
-- KEYS[1] envelope, KEYS[2] items, KEYS[3] timeline; ARGV[3] event, [4] envelope bytes, [5] now,
-- [6] cutoff, [7] ttl, [8] quota, [9] store max bytes, [10] timeline member
local ttl = tonumber(ARGV[7])
local result = storeCharged(KEYS[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ttl, ARGV[8], ARGV[9])
if result ~= 0 then return result end
local previous = redis.call('HGET', KEYS[2], TLF)
if previous then redis.call('ZREM', KEYS[3], previous) end
redis.call('ZADD', KEYS[3], 0, ARGV[10])
redis.call('HSET', KEYS[2], TLF, ARGV[10])
touch(KEYS[2], ttl)
touch(KEYS[3], ttl)
return 0
`);

/** KEYS[1] manifest, KEYS[2] streams; ARGV[3] stream, [4] epoch, [5] bytes, [6] now, [7] cutoff,
 * [8] ttl, [9] quota, [10] store max bytes. */
const PUT_MANIFEST = new Script(`${LIBRARY}
local ttl = tonumber(ARGV[8])
local member = 'm:' .. ARGV[3] .. ':' .. ARGV[4]
local result = storeCharged(KEYS[1], member, ARGV[5], ARGV[6], ARGV[7], ttl, ARGV[9], ARGV[10])
if result ~= 0 then return result end
local latest = redis.call('HGET', KEYS[2], ARGV[3])
if not latest or tonumber(latest) < tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
end
touch(KEYS[2], ttl)
return 0
`);

/** KEYS[1] keyframe; ARGV[3] stream, [4] frame, [5] now, [6] cutoff, [7] ttl, [8] quota,
 * [9] store max bytes: 0 stored, 3 quota, 4 full. The device is charged the difference in size. */
const PUT_KEYFRAME = new Script(`${LIBRARY}
local member = 'k:' .. ARGV[3]
local CH, CB = chargesKey(D), chargeBytesKey(D)
sweep(ARGV[6])
prune(D, ARGV[6])
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('HEXISTS', CB, member) == 1 then
  removeCharge(D, member)
end
local size = string.len(ARGV[4]) + OVERHEAD
-- The replaced keyframe's charge goes back to its own home while the new one is weighed in full.
local oldHome, oldBytes = chargeHome(D, member), tonumber(redis.call('HGET', CB, member) or '0')
charge(D, oldHome, -oldBytes)
local home, homeQuota = writeHome()
local verdict = admit(D, home, size, tonumber(ARGV[8]), homeQuota, tonumber(ARGV[9]))
if verdict ~= 0 then
  charge(D, oldHome, oldBytes)
  reindex(D)
  return verdict
end
local ttl = tonumber(ARGV[7])
local CHH = chargeHomesKey(D)
redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
redis.call('ZADD', CH, ARGV[5], member)
redis.call('HSET', CB, member, size)
redis.call('HSET', CHH, member, home)
charge(D, home, size)
reindex(D)
return 0
`);

const USAGE = new Script(`${LIBRARY}
-- ARGV[3] cutoff
prune(D, ARGV[3])
reindex(D)
return mine(D)
`);

const DELETE_EVENT = new Script(`${LIBRARY}
-- KEYS[1] envelope, KEYS[2] items; ARGV[3] event
local existed = redis.call('ZSCORE', chargesKey(D), ARGV[3]) or redis.call('EXISTS', KEYS[1]) == 1
  or redis.call('EXISTS', KEYS[2]) == 1
if not existed then return 0 end
removeCharge(D, ARGV[3])
reindex(D)
return 1
`);

/**
 * Committed events in (lower, upper) (ZRANGEBYLEX bounds), at most ARGV[5]; returns
 * [member, bytes, member, bytes, ...]. Members whose envelope expired (Redis TTL) are dropped from
 * the timeline on the way, as the memory store does when it evicts an envelope.
 */
const LIST = new Script(`${LIBRARY}
-- ARGV[3] lower bound, [4] upper bound, [5] how many
local TL, CB = timelineKey(D), chargeBytesKey(D)
local want = tonumber(ARGV[5])
local batch = math.min(want, 500)
local lower = ARGV[3]
local out, found = {}, 0
while found < want do
  local members = redis.call('ZRANGEBYLEX', TL, lower, ARGV[4], 'LIMIT', 0, batch)
  for _, m in ipairs(members) do
    local e = string.match(m, '^%d+ (%S+) ')
    if e and redis.call('EXISTS', eventKey(D, e)) == 1 then
      -- The charge less each object's overhead: the items hash names every item and the timeline
      -- member, so its length is the number of objects (items + envelope).
      local objects = redis.call('HLEN', itemsKey(D, e))
      out[#out + 1] = m
      out[#out + 1] = math.max(0, tonumber(redis.call('HGET', CB, e) or '0') - OVERHEAD * objects)
      found = found + 1
      if found >= want then break end
    else
      redis.call('ZREM', TL, m)
    end
  end
  if #members < batch then break end
  lower = '(' .. members[#members]
end
return out
`);

/** KEYS[1] streams; ARGV[1] prefix, [2] device, [3] stream: the latest manifest or nil. */
const LATEST_MANIFEST = new Script(`
local epoch = redis.call('HGET', KEYS[1], ARGV[3])
if not epoch then return false end
return redis.call('GET', ARGV[1] .. 'manifest:' .. ARGV[2] .. ':' .. ARGV[3] .. ':' .. epoch)
`);

/** KEYS[1] streams; ARGV[1] prefix, [2] device: [stream, epoch, ...] whose manifest still exists. */
const LIST_STREAMS = new Script(`
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local k = ARGV[1] .. 'manifest:' .. ARGV[2] .. ':' .. all[i] .. ':' .. all[i + 1]
  if redis.call('EXISTS', k) == 1 then
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
  end
end
return out
`);

/**
 * KEYS[1] card, KEYS[2] access list of the same id (absent for viewers), KEYS[3] its charges;
 * ARGV[1] card bytes, [2] ttl. An authentication renews both records,
 * so a device that keeps authenticating keeps them; the access list's charge "a" moves with its
 * expiry.
 */
const PUT_CARD = new Script(`
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
local left = redis.call('PTTL', KEYS[2])
if left ~= -2 and left < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
  if redis.call('ZSCORE', KEYS[3], 'a') then
    redis.call('ZINCRBY', KEYS[3], ttl - math.max(left, 0), 'a')
  end
end
return 1
`);

/**
 * KEYS[1] access list; ARGV[3] version, [4] bytes, [5] quota, [6] store max bytes, [7] now, [8]
 * ttl, [9] retention: 1 stored, 0 stale, 3 quota, 4 full. The device is charged the difference in
 * size under the timed charge "a", filed so that it is pruned (and the list deleted) when the list
 * expires; the device's card is kept at least as long. An expired list's version is forgotten: harmless, as only the device itself stores its
 * list (auth 'self').
 */
const PUT_ACCESS_LIST = new Script(`${LIBRARY}
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[3]) then return 0 end
-- An expired list whose charge was not swept yet gives its bytes back before the new one is charged
-- (its charge, or, when the charge index expired with it, the reconciliation of reindex).
if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('ZSCORE', chargesKey(D), 'a') then removeCharge(D, 'a') else reindex(D) end
end
local CH, CB, CHH = chargesKey(D), chargeBytesKey(D), chargeHomesKey(D)
-- The replaced list's charge goes back to its own home while the new one is weighed in full.
local oldHome, oldBytes = chargeHome(D, 'a'), 0
if redis.call('EXISTS', KEYS[1]) == 1 then oldBytes = tonumber(redis.call('HGET', CB, 'a') or '0') end
charge(D, oldHome, -oldBytes)
local size = string.len(ARGV[4]) + OVERHEAD
local home, homeQuota = writeHome()
local verdict = admit(D, home, size, tonumber(ARGV[5]), homeQuota, tonumber(ARGV[6]))
if verdict ~= 0 then
  charge(D, oldHome, oldBytes)
  return verdict
end
redis.call('HSET', KEYS[1], 'version', ARGV[3], 'bytes', ARGV[4])
local ttl = tonumber(ARGV[8])
local left = redis.call('PTTL', KEYS[1])
if left < ttl then redis.call('PEXPIRE', KEYS[1], ttl) else ttl = left end
-- A device with a list is a device with viewers: its card lives as long as the list.
touch(P .. 'card:' .. D, ttl)
redis.call('ZADD', CH, tonumber(ARGV[7]) + ttl - tonumber(ARGV[9]), 'a')
redis.call('HSET', CB, 'a', size)
redis.call('HSET', CHH, 'a', home)
charge(D, home, size)
reindex(D)
return 1
`);

/** ARGV[1] prefix: [bytes used, identities storing, homes storing]. */
const STATS = new Script(`
local P = ARGV[1]
return { tonumber(redis.call('GET', P .. 'store:used') or '0'), redis.call('HLEN', P .. 'store:usage'),
  redis.call('HLEN', P .. 'store:home-usage') }
`);

/**
 * Shared by the mailbox scripts. KEYS[1] box, [2] group, [3] group bytes, [4] protected box, [5]
 * pool (ZSET box -> creation time), [6] pool bytes (HASH box -> bytes, '#bytes' their sum).
 */
const MAILBOX_LIBRARY = `
local BOX, GZ, GH, GP, PZ, PH = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local function leavePool(b)
  local bytes = tonumber(redis.call('HGET', PH, b) or '0')
  if bytes ~= 0 then redis.call('HINCRBY', PH, '#bytes', -bytes) end
  redis.call('HDEL', PH, b)
  redis.call('ZREM', PZ, b)
end
local function forget(b)
  local bytes = tonumber(redis.call('HGET', GH, 'b:' .. b) or '0')
  local count = tonumber(redis.call('HGET', GH, 'n:' .. b) or '0')
  if bytes ~= 0 then redis.call('HINCRBY', GH, '#bytes', -bytes) end
  if count ~= 0 then redis.call('HINCRBY', GH, '#count', -count) end
  redis.call('HDEL', GH, 'b:' .. b, 'n:' .. b)
  redis.call('ZREM', GZ, b)
end
`;

/**
 * KEYS[1..6] as in the library (the group and pool keys are unused names without a group or pool),
 * KEYS[7..] sender budgets; ARGV[1] message, [2] ttl, [3] box max messages, [4] box max bytes, [5]
 * evict oldest of the box (1/0), [6] grouped (1/0), [7] group max messages, [8] group max bytes,
 * [9] now, [10] charge only (1/0), [11] pooled (1/0), [12] pool max bytes, [13] pool overhead per
 * box, [14..] sender max bytes (one per sender key).
 * Returns 0 queued, 1 full, 2 sender over budget, 5 pool full. Nothing changes unless it returns 0.
 */
const PUSH_MAILBOX = new Script(`${MAILBOX_LIBRARY}
local message = ARGV[1]
local size = string.len(message)
local ttl, now = tonumber(ARGV[2]), tonumber(ARGV[9])
for i = 7, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') + size > tonumber(ARGV[i + 7]) then return 2 end
end
local function charge()
  for i = 7, #KEYS do
    redis.call('INCRBY', KEYS[i], size)
    if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
if ARGV[10] == '1' then
  charge()
  return 0
end
local maxMessages, maxBytes = tonumber(ARGV[3]), tonumber(ARGV[4])
if size > maxBytes then return 1 end
local messages = redis.call('LRANGE', BOX, 0, -1)
local boxBytes = 0
for _, m in ipairs(messages) do boxBytes = boxBytes + string.len(m) end
-- The box's own oldest messages that must go to fit this one.
local drop, dropBytes = 0, 0
while #messages - drop + 1 > maxMessages or boxBytes - dropBytes + size > maxBytes do
  if ARGV[5] ~= '1' then return 1 end
  drop = drop + 1
  dropBytes = dropBytes + string.len(messages[drop])
end
local grouped = ARGV[6] == '1'
local evict = {}
if grouped then
  -- Boxes that expired (or were never recorded as gone) leave the group's accounting first.
  local expired = redis.call('ZRANGEBYSCORE', GZ, '-inf', '(' .. (now - ttl), 'LIMIT', 0, 256)
  for _, b in ipairs(expired) do
    redis.call('DEL', b)
    forget(b)
  end
  if #messages == 0 then forget(BOX) end
  local bytes = tonumber(redis.call('HGET', GH, '#bytes') or '0') - dropBytes + size
  local count = tonumber(redis.call('HGET', GH, '#count') or '0') - drop + 1
  local groupMessages, groupBytes = tonumber(ARGV[7]), tonumber(ARGV[8])
  local protected = redis.call('GET', GP)
  if bytes > groupBytes or count > groupMessages then
    for _, b in ipairs(redis.call('ZRANGE', GZ, 0, -1)) do
      if bytes <= groupBytes and count <= groupMessages then break end
      if b ~= BOX and b ~= protected then
        evict[#evict + 1] = b
        bytes = bytes - tonumber(redis.call('HGET', GH, 'b:' .. b) or '0')
        count = count - tonumber(redis.call('HGET', GH, 'n:' .. b) or '0')
      end
    end
    if bytes > groupBytes or count > groupMessages then return 1 end
  end
end
local pooled = ARGV[11] == '1'
local poolDelta = size - dropBytes
if pooled then
  -- Boxes of the pool that expired leave its count first (the box keys expired with their TTL).
  for _, b in ipairs(redis.call('ZRANGEBYSCORE', PZ, '-inf', '(' .. (now - ttl), 'LIMIT', 0, 256)) do
    redis.call('DEL', b)
    leavePool(b)
  end
  if #messages == 0 then
    leavePool(BOX)
    poolDelta = poolDelta + tonumber(ARGV[13])
  end
  if tonumber(redis.call('HGET', PH, '#bytes') or '0') + poolDelta > tonumber(ARGV[12]) then return 5 end
end
charge()
for _, b in ipairs(evict) do
  redis.call('DEL', b)
  forget(b)
end
if drop > 0 then redis.call('LTRIM', BOX, drop, -1) end
redis.call('RPUSH', BOX, message)
-- The expiry is set when the box is created and never extended, so pushes cannot keep a box alive.
if redis.call('PTTL', BOX) < 0 then redis.call('PEXPIRE', BOX, ttl) end
if grouped then
  redis.call('ZADD', GZ, 'NX', now, BOX)
  redis.call('HINCRBY', GH, 'b:' .. BOX, size - dropBytes)
  redis.call('HINCRBY', GH, 'n:' .. BOX, 1 - drop)
  redis.call('HINCRBY', GH, '#bytes', size - dropBytes)
  redis.call('HINCRBY', GH, '#count', 1 - drop)
  -- Every box of the group is gone within ttl of now, so the group's keys may go then too.
  redis.call('PEXPIRE', GZ, ttl)
  redis.call('PEXPIRE', GH, ttl)
end
if pooled then
  redis.call('ZADD', PZ, 'NX', now, BOX)
  redis.call('HINCRBY', PH, BOX, poolDelta)
  redis.call('HINCRBY', PH, '#bytes', poolDelta)
  redis.call('PEXPIRE', PZ, ttl)
  redis.call('PEXPIRE', PH, ttl)
end
return 0
`);

/**
 * KEYS[1..6] as in the library; ARGV[1] grouped (1/0), [2] protection time in ms or '', [3] pooled
 * (1/0): every message, oldest first, and the mailbox is gone (and out of its group's and pool's
 * accounting).
 */
const TAKE_MAILBOX = new Script(`${MAILBOX_LIBRARY}
local messages = redis.call('LRANGE', BOX, 0, -1)
redis.call('DEL', BOX)
if ARGV[3] == '1' then leavePool(BOX) end
if ARGV[1] == '1' then
  forget(BOX)
  if ARGV[2] ~= '' then redis.call('SET', GP, BOX, 'PX', ARGV[2]) end
end
return messages
`);

const SCRIPTS = [
  PUT_ITEM,
  COMMIT,
  PUT_KEYFRAME,
  STATS,
  USAGE,
  DELETE_EVENT,
  LIST,
  PUT_MANIFEST,
  LATEST_MANIFEST,
  LIST_STREAMS,
  PUT_CARD,
  PUT_ACCESS_LIST,
  PUSH_MAILBOX,
  TAKE_MAILBOX,
];

function bytesArg(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Replies become plain Uint8Arrays (as the memory store returns). A reply that owns its whole
 * memory is wrapped; one that is a slice of a larger socket chunk is copied, so a value kept by a
 * caller never pins the rest of that chunk.
 */
function plain(reply: Buffer): Uint8Array {
  if (reply.byteOffset === 0 && reply.byteLength === reply.buffer.byteLength) {
    return new Uint8Array(reply.buffer, 0, reply.byteLength);
  }
  return new Uint8Array(reply);
}

function plainOrNull(reply: Buffer | null): Uint8Array | null {
  return reply === null ? null : plain(reply);
}

function ttlArg(ttlMs: number): string {
  if (!Number.isFinite(ttlMs)) throw new RangeError('TTL must be a finite number of milliseconds');
  return String(Math.max(1, Math.ceil(ttlMs)));
}

function numberArg(value: number, what: string): string {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number`);
  return String(value);
}

/** A bound (quota, message count): Infinity means none. */
function limitArg(value: number, what: string): string {
  return value === Number.POSITIVE_INFINITY ? '1e308' : numberArg(value, what);
}

function timeText(time: number): string {
  return String(time).padStart(TIME_DIGITS, '0');
}

function putResult(code: unknown): PutResult {
  const result = typeof code === 'number' ? RESULTS[code] : undefined;
  if (!result) throw new Error('unexpected reply from a store script');
  return result;
}

/** A replacing write's code: `stored` stands for stored; `stale` (if any) for stale; 3 quota, 4 full. */
function replaceResult<S extends number | null>(
  code: unknown,
  stored: number,
  stale: S,
): S extends number ? 'stale' | ReplaceResult : ReplaceResult;
function replaceResult(code: unknown, stored: number, stale: number | null): 'stale' | ReplaceResult {
  if (code === stored) return 'stored';
  if (stale !== null && code === stale) return 'stale';
  if (code === 3) return 'quota';
  if (code === 4) return 'full';
  throw new Error('unexpected reply from a store script');
}

/**
 * Redis must hold the accounted bytes plus its own overhead (keys, indexes, challenges, cards,
 * mailboxes, the bus) below maxmemory, else writes fail with OOM (noeviction) or, worse, Redis
 * evicts stored objects. A warning when storeMaxBytes plus this headroom does not fit.
 */
export function redisHeadroomBytes(storeMaxBytes: number): number {
  return Math.max(64 * 1024 * 1024, Math.ceil(storeMaxBytes / 2));
}

export function maxMemoryWarning(storeMaxBytes: number, maxMemory: number | null): string | null {
  if (maxMemory === null)
    return "Redis' maxmemory could not be read (CONFIG GET refused): make sure it exceeds SEALCAM_STORE_MAX_BYTES plus headroom";
  if (maxMemory === 0) return null;
  const needed = storeMaxBytes + redisHeadroomBytes(storeMaxBytes);
  if (needed <= maxMemory) return null;
  return `SEALCAM_STORE_MAX_BYTES (${storeMaxBytes}) plus headroom (${needed - storeMaxBytes}) exceeds Redis' maxmemory (${maxMemory}): lower SEALCAM_STORE_MAX_BYTES or raise maxmemory, else Redis may refuse writes (OOM) before the relay does`;
}

function parseMember(member: string): { time: number; eventId: EventId; streamId: StreamId } | null {
  const match = /^(\d+) (\S+) (.*)$/s.exec(member);
  if (!match || !isEventId(match[2]) || !isStreamId(match[3])) return null;
  return { time: Number(match[1]), eventId: match[2], streamId: match[3] };
}

/** Closes a client, falling back to destroy() when Redis does not answer within the bound. */
export async function closeBounded(client: RedisClient, boundMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const closed = client.close().then(
      () => true,
      () => false,
    );
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), boundMs);
    });
    if (!(await Promise.race([closed, timedOut]))) client.destroy();
  } catch {
    client.destroy();
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when the first connection is ready; destroys the client if it is not within the bound. */
export async function connectBounded(client: RedisClient, boundMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const connecting = client.connect().then(
    () => true,
    () => false,
  );
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), boundMs);
  });
  const connected = await Promise.race([connecting, timedOut]);
  clearTimeout(timer);
  if (!connected) {
    client.destroy();
    throw new Error(`${what}: Redis did not accept a connection within ${boundMs} ms`);
  }
}

export function redisClientOptions(options: {
  url: string;
  connectTimeoutMs: number;
  /** Each command's bound (a timer per command); 0: none (node-redis has a default otherwise). */
  commandTimeoutMs: number;
}): Parameters<typeof createClient>[0] {
  return {
    url: options.url,
    // Commands fail at once while Redis is unreachable (the HTTP layer answers 503).
    disableOfflineQueue: true,
    maintNotifications: 'disabled',
    commandOptions: { timeout: options.commandTimeoutMs },
    socket: {
      connectTimeout: options.connectTimeoutMs,
      // Never give up; back off linearly up to one attempt per second.
      reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 1000),
    },
  };
}

export class RedisStore implements Store {
  readonly kind = 'redis';
  private closed = false;

  /** Redis' maxmemory in bytes (0: unbounded), or null when CONFIG GET is not allowed. */
  maxMemory: number | null = null;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly maxBytes: number,
  ) {}

  /** Reads Redis' maxmemory; a server with CONFIG disabled (managed Redis) leaves it null. */
  async readMaxMemory(): Promise<number | null> {
    try {
      const reply = await this.command<unknown>(['CONFIG', 'GET', 'maxmemory']);
      const value = Array.isArray(reply) ? reply[1] : (reply as Record<string, unknown> | null)?.maxmemory;
      const parsed = Number(value);
      this.maxMemory = Number.isFinite(parsed) ? parsed : null;
    } catch {
      this.maxMemory = null;
    }
    return this.maxMemory;
  }

  isReady(): boolean {
    return !this.closed && this.client.isReady;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeBounded(this.client, CLOSE_BOUND_MS);
  }

  /** Loads the scripts so that EVALSHA normally hits (a restarted Redis is handled per call). */
  async loadScripts(): Promise<void> {
    await Promise.all(SCRIPTS.map((script) => this.client.sendCommand(['SCRIPT', 'LOAD', script.source])));
  }

  private k(name: string): string {
    return this.prefix + name;
  }

  private command<T>(args: Arg[], binary = false): Promise<T> {
    return binary ? this.client.sendCommand<T>(args, BINARY) : this.client.sendCommand<T>(args);
  }

  private async run<T>(script: Script, keys: string[], args: Arg[], binary = false): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.command<T>(['EVALSHA', script.sha, ...tail], binary);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      // Redis restarted or flushed its script cache: EVAL runs the script and caches it again.
      return await this.command<T>(['EVAL', script.source, ...tail], binary);
    }
  }

  private limits(retention: Retention): string[] {
    return [limitArg(retention.quotaBytes, 'quotaBytes'), numberArg(this.maxBytes, 'maxBytes')];
  }

  /** The last two ARGV of a writing script (LIBRARY `writeHome`): the write's home and the home quota. */
  private homeArgs(deviceId: DeviceId, retention: Retention): string[] {
    return [
      homeOf(deviceId, retention),
      limitArg(retention.homeQuotaBytes ?? Number.POSITIVE_INFINITY, 'homeQuotaBytes'),
    ];
  }

  private cutoff(now: number, retention: Retention): string {
    return numberArg(now - retention.ttlMs, 'now - retention.ttlMs');
  }

  private async getBlob(name: string): Promise<Uint8Array | null> {
    return plainOrNull(await this.command<Buffer | null>(['GET', this.k(name)], true));
  }

  /**
   * Cards expire `ttlMs` after the identity's last authentication. A live connection never
   * outlives its session token (closed at its expiry), so a connected device re-authenticates, and
   * renews its card and access list, at least once per token lifetime.
   */
  async putCard(id: DeviceId | ViewerId, card: Uint8Array, ttlMs: number): Promise<void> {
    await this.run(
      PUT_CARD,
      [this.k(key.card(id)), this.k(key.accessList(id)), this.k(key.charges(id))],
      [bytesArg(card), ttlArg(ttlMs)],
    );
  }

  async getCard(id: DeviceId | ViewerId): Promise<Uint8Array | null> {
    return await this.getBlob(key.card(id));
  }

  async putChallenge(challenge: string, ttlMs: number): Promise<void> {
    await this.command(['SET', this.k(key.challenge(challenge)), '1', 'PX', ttlArg(ttlMs)]);
  }

  async takeChallenge(challenge: string): Promise<boolean> {
    // DEL is atomic: of several processes taking the same challenge, exactly one sees 1.
    return (await this.command<number>(['DEL', this.k(key.challenge(challenge))])) === 1;
  }

  async putAccessList(
    deviceId: DeviceId,
    version: number,
    bytes: Uint8Array,
    ttlMs: number,
    retention: Retention,
  ): Promise<'stale' | ReplaceResult> {
    const code = await this.run<number>(
      PUT_ACCESS_LIST,
      [this.k(key.accessList(deviceId))],
      [
        this.prefix,
        deviceId,
        numberArg(version, 'version'),
        bytesArg(bytes),
        ...this.limits(retention),
        numberArg(Date.now(), 'now'),
        ttlArg(ttlMs),
        ttlArg(retention.ttlMs),
        ...this.homeArgs(deviceId, retention),
      ],
    );
    return replaceResult(code, 1, 0);
  }

  async getAccessList(deviceId: DeviceId): Promise<Uint8Array | null> {
    return plainOrNull(
      await this.command<Buffer | null>(['HGET', this.k(key.accessList(deviceId)), 'bytes'], true),
    );
  }

  async putManifest(
    deviceId: DeviceId,
    streamId: StreamId,
    epoch: number,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult> {
    const code = await this.run<number>(
      PUT_MANIFEST,
      [this.k(key.manifest(deviceId, streamId, epoch)), this.k(key.streams(deviceId))],
      [
        this.prefix,
        deviceId,
        streamId,
        numberArg(epoch, 'epoch'),
        bytesArg(bytes),
        numberArg(now, 'now'),
        this.cutoff(now, retention),
        ttlArg(retention.ttlMs),
        ...this.limits(retention),
        ...this.homeArgs(deviceId, retention),
      ],
    );
    return putResult(code);
  }

  async getManifest(
    deviceId: DeviceId,
    streamId: StreamId,
    epoch: number | 'latest',
  ): Promise<Uint8Array | null> {
    if (epoch !== 'latest') return await this.getBlob(key.manifest(deviceId, streamId, epoch));
    return plainOrNull(
      await this.run<Buffer | null>(
        LATEST_MANIFEST,
        [this.k(key.streams(deviceId))],
        [this.prefix, deviceId, streamId],
        true,
      ),
    );
  }

  async listStreams(deviceId: DeviceId): Promise<{ streamId: StreamId; epoch: number }[]> {
    const flat = await this.run<string[]>(
      LIST_STREAMS,
      [this.k(key.streams(deviceId))],
      [this.prefix, deviceId],
    );
    const streams: { streamId: StreamId; epoch: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      streams.push({ streamId: parseStreamId(String(flat[i])), epoch: Number(flat[i + 1]) });
    }
    return streams.sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
  }

  /** One script on the live path (per keyframe, not per frame). */
  async putKeyframe(
    deviceId: DeviceId,
    streamId: StreamId,
    frame: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<ReplaceResult> {
    const code = await this.run<number>(
      PUT_KEYFRAME,
      [this.k(key.keyframe(deviceId, streamId))],
      [
        this.prefix,
        deviceId,
        streamId,
        // A view, not a copy: node-redis writes the bytes out before the frame's buffer is gone.
        Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength),
        numberArg(now, 'now'),
        this.cutoff(now, retention),
        ttlArg(retention.ttlMs),
        ...this.limits(retention),
        ...this.homeArgs(deviceId, retention),
      ],
    );
    return replaceResult(code, 0, null);
  }

  async getKeyframe(deviceId: DeviceId, streamId: StreamId): Promise<Uint8Array | null> {
    return await this.getBlob(key.keyframe(deviceId, streamId));
  }

  async putEventItem(
    deviceId: DeviceId,
    eventId: EventId,
    item: EventItem,
    bytes: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult> {
    const code = await this.run<number>(
      PUT_ITEM,
      [this.k(key.item(deviceId, eventId, item)), this.k(key.items(deviceId, eventId))],
      [
        this.prefix,
        deviceId,
        eventId,
        item,
        bytesArg(bytes),
        numberArg(now, 'now'),
        this.cutoff(now, retention),
        ttlArg(retention.ttlMs),
        ...this.limits(retention),
        ...this.homeArgs(deviceId, retention),
      ],
    );
    return putResult(code);
  }

  async commitEvent(
    deviceId: DeviceId,
    eventId: EventId,
    meta: { streamId: StreamId; time: number },
    envelope: Uint8Array,
    now: number,
    retention: Retention,
  ): Promise<PutResult> {
    if (!Number.isSafeInteger(meta.time) || meta.time < 0 || meta.time > MAX_TIME) {
      throw new RangeError('event time must be a non-negative integer of at most 16 digits');
    }
    if (/\s/.test(eventId)) throw new RangeError('event id must not contain whitespace');
    const member = `${timeText(meta.time)} ${eventId} ${meta.streamId}`;
    const code = await this.run<number>(
      COMMIT,
      [
        this.k(key.envelope(deviceId, eventId)),
        this.k(key.items(deviceId, eventId)),
        this.k(key.timeline(deviceId)),
      ],
      [
        this.prefix,
        deviceId,
        eventId,
        bytesArg(envelope),
        numberArg(now, 'now'),
        this.cutoff(now, retention),
        ttlArg(retention.ttlMs),
        ...this.limits(retention),
        member,
        ...this.homeArgs(deviceId, retention),
      ],
    );
    return putResult(code);
  }

  async getEvent(deviceId: DeviceId, eventId: EventId): Promise<Uint8Array | null> {
    return await this.getBlob(key.envelope(deviceId, eventId));
  }

  async getEventItem(deviceId: DeviceId, eventId: EventId, item: EventItem): Promise<Uint8Array | null> {
    return await this.getBlob(key.item(deviceId, eventId, item));
  }

  /**
   * Timeline members are "<16-digit time> <eventId> <streamId>" with equal scores, so ZRANGEBYLEX
   * walks them in (time, eventId) order: ties at one time are ordered by event id, and the page
   * after a cursor starts exactly after the cursor's member ("!" sorts after the " " separator and
   * before every id character), so nothing is repeated or skipped however many events share a time.
   */
  async listEvents(deviceId: DeviceId, query: ListQuery): Promise<EventPage> {
    const limit = Math.floor(query.limit);
    const from = Math.max(0, Math.ceil(query.from));
    const to = Math.min(MAX_TIME, Math.floor(query.to));
    if (!(limit > 0) || !(from <= to)) return { events: [], next: null };
    let lower = `[${timeText(from)}`;
    const after = query.after ? decodeCursor(query.after) : null;
    if (after) {
      const bound = `(${timeText(after.time)} ${after.eventId}!`;
      if (bound.slice(1) > lower.slice(1)) lower = bound;
    }
    const upper = `(${timeText(to)}!`;
    const flat = await this.run<(string | number)[]>(
      LIST,
      [],
      [this.prefix, deviceId, lower, upper, String(limit + 1)],
    );
    const selected: EventListing[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const parsed = parseMember(String(flat[i]));
      if (parsed) selected.push({ ...parsed, bytes: Number(flat[i + 1]) });
    }
    const events = selected.slice(0, limit);
    const last = events[events.length - 1];
    return {
      events,
      next: selected.length > events.length && last ? encodeCursor(last.time, last.eventId) : null,
    };
  }

  async deleteEvent(deviceId: DeviceId, eventId: EventId): Promise<boolean> {
    const removed = await this.run<number>(
      DELETE_EVENT,
      [this.k(key.envelope(deviceId, eventId)), this.k(key.items(deviceId, eventId))],
      [this.prefix, deviceId, eventId],
    );
    return removed === 1;
  }

  async usage(deviceId: DeviceId, now: number, retention: Retention): Promise<number> {
    return Number(await this.run<number>(USAGE, [], [this.prefix, deviceId, this.cutoff(now, retention)]));
  }

  async stats(): Promise<StoreStats> {
    const [usedBytes, identities, homes] = await this.run<[number, number, number]>(STATS, [], [this.prefix]);
    return {
      usedBytes: Number(usedBytes),
      maxBytes: this.maxBytes,
      identities: Number(identities),
      homes: Number(homes),
    };
  }

  /** The four keys of a box and its group (names nobody uses when there is no group). */
  private mailboxKeys(box: string, group: string | undefined, pool: string | undefined): string[] {
    const name = group ?? '';
    return [
      this.k(key.mailbox(box)),
      this.k(`mailbox-group:${name}`),
      this.k(`mailbox-group-bytes:${name}`),
      this.k(`mailbox-protected:${name}`),
      this.k(`mailbox-pool:${pool ?? ''}`),
      this.k(`mailbox-pool-bytes:${pool ?? ''}`),
    ];
  }

  async pushMailbox(
    box: string,
    message: Uint8Array,
    bounds: MailboxBounds,
    now: number,
  ): Promise<MailboxPush> {
    const senders = bounds.senders ?? [];
    const code = await this.run<number>(
      PUSH_MAILBOX,
      [
        ...this.mailboxKeys(box, bounds.group?.name, bounds.pool?.name),
        ...senders.map((sender) => this.k(`mailbox-sender:${sender.name}`)),
      ],
      [
        bytesArg(message),
        ttlArg(bounds.ttlMs),
        limitArg(bounds.maxMessages, 'maxMessages'),
        limitArg(bounds.maxBytes, 'maxBytes'),
        bounds.evictOldest ? '1' : '0',
        bounds.group ? '1' : '0',
        limitArg(bounds.group?.maxMessages ?? 0, 'group.maxMessages'),
        limitArg(bounds.group?.maxBytes ?? 0, 'group.maxBytes'),
        numberArg(now, 'now'),
        bounds.chargeOnly ? '1' : '0',
        bounds.pool ? '1' : '0',
        limitArg(bounds.pool?.maxBytes ?? 0, 'pool.maxBytes'),
        String(MAILBOX_POOL_OVERHEAD),
        ...senders.map((sender) => limitArg(sender.maxBytes, 'sender.maxBytes')),
      ],
    );
    return code === 0 ? 'queued' : code === 2 ? 'sender-full' : code === 5 ? 'pool-full' : 'full';
  }

  async takeMailbox(box: string, _now: number, group?: MailboxTake, pool?: string): Promise<Uint8Array[]> {
    const messages = await this.run<Buffer[]>(
      TAKE_MAILBOX,
      this.mailboxKeys(box, group?.name, pool),
      [
        group ? '1' : '0',
        group?.protectMs === undefined ? '' : ttlArg(group.protectMs),
        pool === undefined ? '0' : '1',
      ],
      true,
    );
    return messages.map(plain);
  }
}

export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const client = createClient(
    redisClientOptions({
      url: options.url,
      connectTimeoutMs,
      commandTimeoutMs: options.commandTimeoutMs ?? 5000,
    }),
  );
  // node-redis emits 'error' on every failed (re)connection; unhandled, it would crash the process.
  client.on('error', (error: unknown) => {
    try {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A failing error handler must not take the connection down.
    }
  });
  await connectBounded(client, connectTimeoutMs, 'store');
  const store = new RedisStore(client, options.keyPrefix ?? 'sealcam:', options.maxBytes);
  try {
    await store.loadScripts();
    await store.readMaxMemory();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
