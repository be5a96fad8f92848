import { openDB } from 'idb';
import type { KeyStore, ViewerState } from './viewer-state.js';

/** Browser key store: one record in IndexedDB, never leaves the browser. */
export class IndexedDbKeyStore implements KeyStore {
  constructor(private readonly database = 'sealcam-viewer') {}

  private open() {
    return openDB(this.database, 1, {
      upgrade(db) {
        db.createObjectStore('state');
      },
    });
  }

  async load(): Promise<ViewerState | null> {
    const db = await this.open();
    try {
      return ((await db.get('state', 'viewer')) as ViewerState | undefined) ?? null;
    } finally {
      db.close();
    }
  }

  async save(state: ViewerState): Promise<void> {
    const db = await this.open();
    try {
      await db.put('state', state, 'viewer');
    } finally {
      db.close();
    }
  }
}
