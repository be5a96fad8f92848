import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';

/** Creates the state directory (and parents) readable by the agent's user only. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

/**
 * Replaces a file atomically and durably (temporary file, fsync, rename, fsync of the directory),
 * mode 0600: a kill -9 or power loss leaves either the old or the new contents, never a mix.
 */
export async function writePrivateFile(path: string, data: Uint8Array | string): Promise<void> {
  await writeFileAtomic(path, typeof data === 'string' ? data : Buffer.from(data), {
    mode: 0o600,
    fsync: true,
  });
  await fsyncDirectoryOf(path);
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
