import { openDB } from 'idb';
import { createPlatformKeys, importPlatformKeys, type PlatformKeys } from './platform-keys.js';
import type { KeyStore, ViewerState } from './viewer-state.js';

/**
 * Browser key store: one record in IndexedDB, never leaves the browser. The private keys are
 * non-extractable WebCrypto keys: an identity kept as bytes by an older version is moved into
 * WebCrypto on load and its bytes overwritten. A browser without WebCrypto Ed25519/X25519 keeps bytes.
 */
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
    let state: ViewerState | null;
    try {
      state = ((await db.get('state', 'viewer')) as ViewerState | undefined) ?? null;
    } finally {
      db.close();
    }
    if (!state || typeof state.identity !== 'string') return state;
    let identity: PlatformKeys;
    try {
      identity = await importPlatformKeys(state.identity);
    } catch {
      return state;
    }
    const moved: ViewerState = { ...state, identity };
    await this.save(moved);
    return moved;
  }

  async save(state: ViewerState): Promise<void> {
    const db = await this.open();
    try {
      await db.put('state', state, 'viewer');
    } finally {
      db.close();
    }
  }

  async createIdentity(): Promise<PlatformKeys | null> {
    try {
      return await createPlatformKeys();
    } catch {
      return null;
    }
  }
}
