import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KeyStore, ViewerState } from '../sdk/viewer-state.js';

/** Node key store: a JSON file, mode 0600 in a 0700 directory, replaced atomically. */
export class FileKeyStore implements KeyStore {
  constructor(readonly path: string) {}

  async load(): Promise<ViewerState | null> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as ViewerState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async save(state: ViewerState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(state), { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, this.path);
  }
}
