import { formatId } from '@sealcam/protocol';
import { AbortedError, RelayError, type RelaySession, retryWithBackoff, sleep } from '@sealcam/relay-client';
import type { Logger } from '../log.js';
import type { OutboxEntry } from '../outbox/event-file.js';

/** The part of the outbox the uploader needs. */
export interface UploadQueue {
  /** Ids in upload order (oldest first). */
  list(): string[];
  has(id: string): boolean;
  read(id: string): Promise<OutboxEntry | undefined>;
  remove(id: string): Promise<unknown>;
}

/** A refused event is tried again after this long, doubling up to an hour. */
const REFUSED_FIRST_RETRY_MS = 60_000;
const REFUSED_MAX_RETRY_MS = 3_600_000;

/**
 * Delivers the outbox to the relay, oldest first, one event at a time: items first, the signed
 * envelope last (it commits the event). Each object is addressed by the event id and sent with the
 * exact bytes stored on disk, so a retry after a crash or a lost reply is a no-op at the relay.
 *
 * An entry leaves the outbox only after the relay acknowledged its envelope (or by the outbox's
 * documented oldest-first eviction). Transient failures (unreachable, 429, 5xx, 507) are retried
 * with backoff; any other refusal — a proxy's 413, a 404 during a deploy, a confused relay — never
 * deletes anything: the event is set aside, the ones behind it go ahead, and it is tried again
 * after a minute, doubling up to an hour.
 */
export class Uploader {
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly refused = new Map<string, { until: number; delayMs: number }>();
  uploaded = 0;
  lastError: string | null = null;

  constructor(
    private readonly session: RelaySession,
    private readonly queue: UploadQueue,
    private readonly log: Logger,
    private readonly backoff = { startingDelayMs: 1000, maxDelayMs: 60_000 },
    private readonly refusedRetryMs = { first: REFUSED_FIRST_RETRY_MS, max: REFUSED_MAX_RETRY_MS },
  ) {}

  /** Events set aside after a refusal (still queued on disk). */
  get deferred(): number {
    return this.refused.size;
  }

  start(): void {
    this.loop ??= this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake();
    // An upload in flight finishes or fails on its own; nothing is removed unless acknowledged.
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** The oldest queued event not set aside, and how long until a set-aside one is due. */
  private next(now: number): { id: string | undefined; waitMs: number } {
    let waitMs = 5000;
    for (const id of this.queue.list()) {
      const refusal = this.refused.get(id);
      if (!refusal || refusal.until <= now) return { id, waitMs: 0 };
      waitMs = Math.min(waitMs, refusal.until - now);
    }
    for (const id of this.refused.keys()) if (!this.queue.has(id)) this.refused.delete(id);
    return { id: undefined, waitMs };
  }

  /** Runs until stop(); every failure inside is logged and waited out, never fatal. */
  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.step(signal);
      } catch (error) {
        if (signal.aborted || error instanceof AbortedError) return;
        this.lastError = (error as Error).message;
        this.log.error(
          { reason: (error as Error).message },
          'uploader: unexpected failure; retrying shortly',
        );
        await sleep(5000, signal).catch(() => undefined);
      }
    }
  }

  private async step(signal: AbortSignal): Promise<void> {
    const { id, waitMs } = this.next(Date.now());
    if (!id) {
      await this.idle(waitMs);
      return;
    }
    const event = await this.queue.read(id);
    if (!event) {
      if (this.queue.has(id)) {
        // Its file vanished from under the outbox (or failed verification): forget the entry.
        this.log.error({ event: id }, 'queued event file is missing; dropping its outbox entry');
        await this.queue.remove(id);
      }
      return;
    }
    try {
      await retryWithBackoff(() => this.upload(event), {
        signal,
        ...this.backoff,
        onRetry: (error, attempt) => {
          this.lastError = (error as Error).message;
          this.log.warn(
            { event: id, attempt, reason: (error as Error).message },
            'upload failed; backing off',
          );
        },
      });
    } catch (error) {
      if (signal.aborted || error instanceof AbortedError) return;
      const previous = this.refused.get(id);
      const { first, max } = this.refusedRetryMs;
      const delayMs = previous ? Math.min(previous.delayMs * 2, max) : first;
      this.refused.set(id, { until: Date.now() + delayMs, delayMs });
      this.lastError = (error as Error).message;
      this.log.error(
        { event: id, reason: (error as Error).message, retryInSeconds: delayMs / 1000 },
        'relay refused an event; kept in the outbox and set aside',
      );
      return;
    }
    this.refused.delete(id);
    await this.queue.remove(id);
    this.uploaded++;
    this.lastError = null;
    this.log.debug({ event: id }, 'event delivered');
  }

  private async upload(event: OutboxEntry): Promise<void> {
    const base = `/v1/devices/${this.session.id}/events/${formatId(event.eventId)}`;
    if (event.thumbnail) await this.session.request('PUT', `${base}/thumbnail`, event.thumbnail);
    for (const [index, chunk] of event.chunks.entries())
      await this.session.request('PUT', `${base}/chunks/${index}`, chunk);
    try {
      await this.session.request('PUT', base, event.envelope);
    } catch (error) {
      if (error instanceof RelayError && error.reason === 'conflict')
        throw error.withMessage(`another event is stored under id ${formatId(event.eventId)}`);
      throw error;
    }
  }
}
