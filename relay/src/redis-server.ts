import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `@sealcam/relay/redis-server`: a private redis-server (Debian's `redis-server` on the PATH) on a
 * free loopback port, never the machine's own on 6379, for a relay of one's own with the Redis store:
 * the drill, benchmarks and tests. Production operators run their own Redis and give its URL.
 */
export type AppendFsync = 'always' | 'everysec' | 'no';

/** The persistence relay/README.md recommends: the append-only file fsynced before every reply. */
export const DURABLE_REDIS_ARGS = ['--appendonly', 'yes', '--appendfsync', 'always'] as const;

export class RedisServer {
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dataDir: string | null,
    private readonly appendfsync: AppendFsync,
    private readonly extraArgs: readonly string[],
  ) {}

  /**
   * `persistent`: an append-only file in a private data directory that restart() reuses; by
   * default fsynced on every write (DURABLE_REDIS_ARGS), so a kill -9 loses nothing acknowledged.
   * `appendfsync` other than 'always' and `extraArgs` (more redis-server arguments) are for tests
   * of what the relay says about other servers.
   */
  static async start(
    options: { persistent?: boolean; appendfsync?: AppendFsync; extraArgs?: readonly string[] } = {},
  ): Promise<RedisServer> {
    const dataDir = options.persistent ? mkdtempSync(join(tmpdir(), 'sealcam-redis-')) : null;
    const redis = new RedisServer(
      await freePort(),
      dataDir,
      options.appendfsync ?? 'always',
      options.extraArgs ?? [],
    );
    await redis.restart();
    return redis;
  }

  /** The redis-server arguments of its persistence. */
  get persistenceArgs(): string[] {
    if (!this.dataDir) return ['--appendonly', 'no'];
    const fsync =
      this.appendfsync === 'always'
        ? [...DURABLE_REDIS_ARGS]
        : ['--appendonly', 'yes', '--appendfsync', this.appendfsync];
    return [...fsync, '--dir', this.dataDir];
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    if (this.child) return;
    const persistence = this.persistenceArgs;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      ...persistence,
      '--loglevel',
      'warning',
      ...this.extraArgs,
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 30_000;
    while (!(await this.ping())) {
      if (Date.now() > deadline)
        throw new Error(`redis-server did not start on port ${this.port} within 30 s`);
      await sleep(25);
    }
  }

  /** kill -9 (a crash: nothing is flushed): the relay sees the connection drop mid-traffic. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.kill('SIGKILL');
    if (child.exitCode === null) await once(child, 'exit');
  }

  async stop(): Promise<void> {
    await this.kill();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: this.port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('error', () => done(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
      socket.setTimeout(500, () => done(false));
    });
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
