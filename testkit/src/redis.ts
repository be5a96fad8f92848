import { createClient, RESP_TYPES } from 'redis';

/** The one redis-server launcher is the relay's public one; tests know it by this name. */
export { RedisServer as TestRedis } from '@sealcam/relay/redis-server';

/** Every key, field and value in a Redis database, as bytes: what a scan for plaintext reads. */
export async function redisContents(url: string): Promise<Buffer[]> {
  const client = createClient({ url });
  await client.connect();
  const out: Buffer[] = [];
  try {
    for await (const keys of client.scanIterator({ COUNT: 500 })) {
      for (const key of keys) {
        out.push(Buffer.from(key));
        const type = await client.type(key);
        const raw = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as {
          get(key: string): Promise<Buffer | null>;
          lRange(key: string, start: number, stop: number): Promise<Buffer[]>;
          hGetAll(key: string): Promise<Record<string, Buffer>>;
          zRange(key: string, start: number, stop: number): Promise<Buffer[]>;
          sMembers(key: string): Promise<Buffer[]>;
        };
        if (type === 'string') out.push(Buffer.from((await raw.get(key)) ?? ''));
        else if (type === 'list') out.push(...(await raw.lRange(key, 0, -1)).map((v) => Buffer.from(v)));
        else if (type === 'hash') {
          for (const [field, value] of Object.entries(await raw.hGetAll(key)))
            out.push(Buffer.from(field), Buffer.from(value));
        } else if (type === 'zset') out.push(...(await raw.zRange(key, 0, -1)).map((v) => Buffer.from(v)));
        else if (type === 'set') out.push(...(await raw.sMembers(key)).map((v) => Buffer.from(v)));
        else throw new Error(`unexpected key type ${type}`);
      }
    }
  } finally {
    await client.quit();
  }
  return out;
}
