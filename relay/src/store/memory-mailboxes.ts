import { LRUCache } from 'lru-cache';
import { MAILBOX_POOL_OVERHEAD, type MailboxBounds, type MailboxPush, type MailboxTake } from './store.js';

interface Box {
  readonly messages: Uint8Array[];
  bytes: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly group: string | null;
  readonly pool: string | null;
}

interface Group {
  /** Box names in creation order (oldest first). */
  readonly boxes: Set<string>;
  bytes: number;
  count: number;
  protectedBox: { name: string; until: number } | null;
}

/** Bookkeeping bytes per box beyond its messages (what the memory bound charges). */
const BOX_OVERHEAD = 256;

/**
 * The memory store's mailboxes (MailboxBounds in store.ts). Pairing boxes live in an LRU bounded in
 * bytes, so even an expired box that nobody touches again is dropped under pressure; inboxes (owner
 * statements) are kept apart and never evicted by other traffic: their total is bounded instead by
 * their pool (MailboxBounds.pool), counted here and released when a box is taken or expires.
 */
export class MemoryMailboxes {
  private readonly boxes: LRUCache<string, Box>;
  private readonly groups = new Map<string, Group>();
  private readonly inboxes = new Map<string, Box>();
  private readonly senders: LRUCache<string, { bytes: number; resetAt: number }>;
  /** Bytes (with MAILBOX_POOL_OVERHEAD per box) each pool's boxes hold now. */
  private readonly pools = new Map<string, number>();

  constructor(maxBytes: number, maxRecords: number) {
    this.boxes = new LRUCache<string, Box>({
      maxSize: maxBytes,
      sizeCalculation: (box) => box.bytes + BOX_OVERHEAD,
      dispose: (box, name, reason) => {
        if (reason !== 'set') {
          this.leaveGroup(name, box);
          this.leavePool(box);
        }
      },
    });
    this.senders = new LRUCache({ max: maxRecords });
  }

  private leaveGroup(name: string, box: Box): void {
    if (box.group === null) return;
    const group = this.groups.get(box.group);
    if (!group?.boxes.delete(name)) return;
    group.bytes -= box.bytes;
    group.count -= box.messages.length;
    // A group that protects a box stays (one per device that polled: bounded by the devices).
    if (group.boxes.size === 0 && group.protectedBox === null) this.groups.delete(box.group);
  }

  private leavePool(box: Box): void {
    if (box.pool === null) return;
    const bytes = (this.pools.get(box.pool) ?? 0) - box.bytes - MAILBOX_POOL_OVERHEAD;
    if (bytes > 0) this.pools.set(box.pool, bytes);
    else this.pools.delete(box.pool);
  }

  private live(name: string, now: number): Box | undefined {
    const found = name.startsWith('inbox:') ? this.inboxes.get(name) : this.boxes.get(name);
    if (!found || found.expiresAt > now) return found;
    this.remove(name);
    return undefined;
  }

  private remove(name: string): void {
    if (name.startsWith('inbox:')) {
      const inbox = this.inboxes.get(name);
      if (inbox) this.leavePool(inbox);
      this.inboxes.delete(name);
    } else this.boxes.delete(name);
  }

  private group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) {
      group = { boxes: new Set(), bytes: 0, count: 0, protectedBox: null };
      this.groups.set(name, group);
    }
    return group;
  }

  push(name: string, message: Uint8Array, bounds: MailboxBounds, now: number): MailboxPush {
    const size = message.byteLength;
    const senders = (bounds.senders ?? []).map((sender) => {
      const current = this.senders.get(sender.name);
      const window = current && current.resetAt > now ? current : { bytes: 0, resetAt: now + bounds.ttlMs };
      return { window, name: sender.name, maxBytes: sender.maxBytes };
    });
    if (senders.some((sender) => sender.window.bytes + size > sender.maxBytes)) return 'sender-full';
    const charge = () => {
      for (const sender of senders) {
        sender.window.bytes += size;
        this.senders.set(sender.name, sender.window);
      }
    };
    if (bounds.chargeOnly) {
      charge();
      return 'queued';
    }
    if (size > bounds.maxBytes) return 'full';
    const box = this.live(name, now) ?? {
      messages: [],
      bytes: 0,
      createdAt: now,
      expiresAt: now + bounds.ttlMs,
      group: bounds.group?.name ?? null,
      pool: bounds.pool?.name ?? null,
    };
    // Messages of its own box that must go (oldest first) to fit this one.
    let drop = 0;
    let dropBytes = 0;
    while (
      box.messages.length - drop + 1 > bounds.maxMessages ||
      box.bytes - dropBytes + size > bounds.maxBytes
    ) {
      if (!bounds.evictOldest) return 'full';
      dropBytes += box.messages[drop]!.byteLength;
      drop++;
    }
    const evict: string[] = [];
    if (bounds.group) {
      const group = this.group(bounds.group.name);
      this.pruneGroup(group, now);
      let bytes = group.bytes - dropBytes + size;
      let count = group.count - drop + 1;
      const protectedBox =
        group.protectedBox && group.protectedBox.until > now ? group.protectedBox.name : null;
      for (const other of group.boxes) {
        if (bytes <= bounds.group.maxBytes && count <= bounds.group.maxMessages) break;
        const victim = this.boxes.peek(other);
        if (other === name || other === protectedBox || !victim) continue;
        evict.push(other);
        bytes -= victim.bytes;
        count -= victim.messages.length;
      }
      if (bytes > bounds.group.maxBytes || count > bounds.group.maxMessages) return 'full';
    }
    const pooled = bounds.pool && box.pool === bounds.pool.name ? bounds.pool : null;
    const poolDelta = size - dropBytes + (box.messages.length === 0 ? MAILBOX_POOL_OVERHEAD : 0);
    if (pooled) {
      const over = () => (this.pools.get(pooled.name) ?? 0) + poolDelta > pooled.maxBytes;
      if (over()) this.sweepInboxes(now, Number.POSITIVE_INFINITY);
      if (over()) return 'pool-full';
    }
    charge();
    for (const other of evict) this.boxes.delete(other);
    const removed = box.messages.splice(0, drop);
    box.bytes -= dropBytes;
    box.messages.push(message.slice());
    box.bytes += size;
    if (pooled) this.pools.set(pooled.name, (this.pools.get(pooled.name) ?? 0) + poolDelta);
    if (box.group !== null) {
      const group = this.group(box.group);
      group.boxes.add(name);
      group.bytes += size - dropBytes;
      group.count += 1 - removed.length;
    }
    if (name.startsWith('inbox:')) {
      this.inboxes.set(name, box);
      this.sweepInboxes(now);
    } else this.boxes.set(name, box, { ttl: Math.max(1, box.expiresAt - now), noUpdateTTL: true });
    return 'queued';
  }

  /**
   * Drops a few expired inboxes per push, so inboxes nobody takes do not stay forever. Insertion
   * order is creation order, and inboxes share one TTL (the retention), so it is expiry order.
   */
  private sweepInboxes(now: number, budget = 8): void {
    for (const [name, inbox] of this.inboxes) {
      if (budget-- <= 0 || inbox.expiresAt > now) break;
      this.remove(name);
    }
  }

  /** Drops the group's boxes that expired (oldest first: creation order is expiry order). */
  private pruneGroup(group: Group, now: number): void {
    if (group.protectedBox && group.protectedBox.until <= now) group.protectedBox = null;
    for (const name of group.boxes) {
      const box = this.boxes.peek(name, { allowStale: true });
      if (box && box.expiresAt > now) break;
      if (box) this.boxes.delete(name);
      else group.boxes.delete(name);
    }
  }

  take(name: string, now: number, take?: MailboxTake): Uint8Array[] {
    const box = this.live(name, now);
    if (box) this.remove(name);
    if (take?.protectMs !== undefined) {
      this.group(take.name).protectedBox = { name, until: now + take.protectMs };
    }
    return box?.messages ?? [];
  }
}
