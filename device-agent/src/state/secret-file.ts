import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';

/** Creates the state directory (and parents) readable by the agent's user only. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

/**
 * Replaces a file atomically and durably (temporary file, fsync, rename, fsync of the directory),
 * mode 0600: a kill -9 or power loss leaves either the old or the new contents, never a mix. With
 * `durable: false` (a file rewritten every few seconds that nothing depends on after a crash, such
 * as the status file) it is still replaced atomically, without the two fsyncs.
 */
export async function writePrivateFile(
  path: string,
  data: Uint8Array | string,
  { durable = true }: { durable?: boolean } = {},
): Promise<void> {
  await writeFileAtomic(path, typeof data === 'string' ? data : Buffer.from(data), {
    mode: 0o600,
    fsync: durable,
  });
  if (durable) await fsyncDirectoryOf(path);
}

/** Within this long of a file's modification, its stamp cannot be trusted (see fileVersion). */
const RACY_MS = 2000;

/**
 * What identifies one version of a file that is only ever replaced by rename (writePrivateFile): its
 * inode, size and modification time; undefined when it does not exist. `racy`: the file changed
 * within the last 2 s, so a next version may get the same stamp (many kernels and filesystems keep
 * modification times in coarse ticks, and inode numbers are reused at once): read it again later
 * (git's "racy index" rule).
 */
export async function fileVersion(path: string): Promise<{ stamp: string; racy: boolean } | undefined> {
  try {
    const stats = await stat(path, { bigint: true });
    return {
      stamp: `${stats.ino}:${stats.size}:${stats.mtimeNs}`,
      racy: Date.now() - Number(stats.mtimeMs) < RACY_MS,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function fsyncDirectoryOf(path: string): Promise<void> {
  const directory = path.slice(0, Math.max(1, path.lastIndexOf('/')));
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a file, or undefined when it does not exist. */
export async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
