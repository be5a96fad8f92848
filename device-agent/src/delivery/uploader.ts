import { formatId } from '@sealcam/protocol';
import type { Logger } from '../log.js';
import type { OutboxEntry } from '../outbox/event-file.js';
import { RelayError } from '../relay/relay-error.js';
import type { RelaySession } from '../relay/relay-session.js';
import { AbortedError, retryWithBackoff } from '../relay/retry.js';

/** The part of the outbox the uploader needs. */
export interface UploadQueue {
  /** Id of the entry to upload next (oldest first), if any. */
  oldest(): string | undefined;
  read(id: string): Promise<OutboxEntry | undefined>;
  remove(id: string): Promise<unknown>;
}

/**
 * Delivers the outbox to the relay, oldest first, one event at a time: items first, the signed
 * envelope last (it commits the event). Each object is addressed by the event id and sent with the
 * exact bytes stored on disk, so a retry after a crash or a lost reply is a no-op at the relay. An
 * entry leaves the outbox only after the relay acknowledged its envelope.
 */
export class Uploader {
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  uploaded = 0;
  dropped = 0;
  lastError: string | null = null;

  constructor(
    private readonly session: RelaySession,
    private readonly queue: UploadQueue,
    private readonly log: Logger,
    private readonly backoff = { startingDelayMs: 1000, maxDelayMs: 60_000 },
  ) {}

  start(): void {
    this.loop ??= this.run().catch((error) => {
      if (!(error instanceof AbortedError)) this.log.error({ err: String(error) }, 'uploader stopped');
    });
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake();
    // An upload in flight finishes or fails on its own; nothing is removed unless acknowledged.
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, 5000);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const id = this.queue.oldest();
      if (!id) {
        await this.idle();
        continue;
      }
      const event = await this.queue.read(id);
      if (!event) continue;
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
        if (signal.aborted) return;
        // Permanent refusal (4xx other than 401/429): it would never succeed; keep the outbox moving.
        this.dropped++;
        this.lastError = (error as Error).message;
        this.log.error({ event: id, reason: (error as Error).message }, 'relay refused an event; dropped it');
        await this.queue.remove(id);
        continue;
      }
      await this.queue.remove(id);
      this.uploaded++;
      this.lastError = null;
      this.log.debug({ event: id }, 'event delivered');
    }
  }

  private async upload(event: OutboxEntry): Promise<void> {
    const base = `/v1/devices/${this.session.deviceId}/events/${formatId(event.eventId)}`;
    if (event.thumbnail) await this.session.request('PUT', `${base}/thumbnail`, event.thumbnail);
    for (const [index, chunk] of event.chunks.entries())
      await this.session.request('PUT', `${base}/chunks/${index}`, chunk);
    try {
      await this.session.request('PUT', base, event.envelope);
    } catch (error) {
      if (error instanceof RelayError && error.status === 409)
        throw new RelayError(
          409,
          error.reason,
          `another event is stored under id ${formatId(event.eventId)}`,
        );
      throw error;
    }
  }
}
