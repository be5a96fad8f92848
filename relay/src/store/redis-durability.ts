import { createClient } from 'redis';
import { closeBounded, connectBounded, redisClientOptions } from './redis-store.js';

/**
 * What a crash (of Redis, or of its machine) can take of what the relay acknowledged, read from the
 * server's own settings at start. The relay acknowledges an event when Redis has answered its
 * script; with `appendonly yes` + `appendfsync always` Redis writes and fsyncs the append-only file
 * before it sends that answer, so nothing acknowledged is lost. Any other setting has a window.
 * (Replication is asynchronous: a failover to a replica can lose acknowledged writes whatever this
 * says; the relay does not use WAIT.)
 */
export type Durability =
  | { readonly durable: true; readonly settings: string }
  | { readonly durable: false; readonly settings: string; readonly window: string }
  | { readonly durable: 'unknown'; readonly reason: string };

const RECOMMENDED = 'appendonly yes + appendfsync always';

/** The loss window of a setting (Redis 7: no WAITAOF, so the relay cannot wait for it per write). */
export function durabilityOf(settings: {
  appendonly: string;
  appendfsync: string;
  save: string;
}): Durability {
  const text = `appendonly ${settings.appendonly}, appendfsync ${settings.appendfsync}, save "${settings.save}"`;
  if (settings.appendonly === 'yes') {
    if (settings.appendfsync === 'always') return { durable: true, settings: text };
    if (settings.appendfsync === 'everysec')
      return {
        durable: false,
        settings: text,
        window:
          'the events acknowledged in the last 1-2 seconds (on a machine crash or power loss; on a Redis crash too while its fsync lags)',
      };
    return {
      durable: false,
      settings: text,
      window:
        'the events acknowledged since the OS last flushed the append-only file (typically up to 30 seconds)',
    };
  }
  if (settings.save.trim() !== '')
    return {
      durable: false,
      settings: text,
      window: `every event acknowledged since the last RDB snapshot (save "${settings.save}": up to the longest of those intervals)`,
    };
  return { durable: false, settings: text, window: 'every stored event (Redis does not persist at all)' };
}

/** Reads the persistence settings of the Redis at `url`; 'unknown' when CONFIG is refused. */
export async function checkRedisDurability(url: string, boundMs = 5000): Promise<Durability> {
  const client = createClient(
    redisClientOptions({ url, connectTimeoutMs: boundMs, commandTimeoutMs: boundMs }),
  );
  client.on('error', () => {});
  try {
    await connectBounded(client, boundMs, 'durability check');
    const read = async (name: string) => {
      // node-redis maps the reply (an object), plain RESP2 is [name, value].
      const reply = await client.sendCommand<unknown>(['CONFIG', 'GET', name]);
      const value = Array.isArray(reply) ? reply[1] : (reply as Record<string, unknown> | null)?.[name];
      if (value === undefined || value === null) throw new Error(`CONFIG GET ${name} gave no value`);
      return String(value);
    };
    return durabilityOf({
      appendonly: await read('appendonly'),
      appendfsync: await read('appendfsync'),
      save: await read('save'),
    });
  } catch (error) {
    // Managed Redis services often rename or disable CONFIG: the relay runs, unsure.
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { durable: 'unknown', reason };
  } finally {
    await closeBounded(client, boundMs);
  }
}

/** One log line at start: info when durable, a warning naming the loss window otherwise. */
export function logDurability(
  log: { info(object: object, message: string): void; warn(object: object, message: string): void },
  durability: Durability,
): void {
  if (durability.durable === true) {
    log.info(
      { redisPersistence: durability.settings },
      'Redis persistence: an acknowledged event survives a Redis crash',
    );
  } else if (durability.durable === false) {
    log.warn(
      { redisPersistence: durability.settings, recommended: RECOMMENDED },
      `Redis persistence is not durable: a crash can lose ${durability.window}. Set ${RECOMMENDED} (relay/README.md)`,
    );
  } else {
    log.warn(
      { reason: durability.reason, recommended: RECOMMENDED },
      `could not read Redis persistence settings (CONFIG GET refused?): unless the server runs with ${RECOMMENDED}, a Redis crash can lose events the relay acknowledged`,
    );
  }
}
