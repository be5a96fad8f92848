import { MemoryStore } from '../src/store/memory-store.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('memory', async () => ({
  store: new MemoryStore({ maxBytes: 64 * 1024 * 1024 }),
  cleanup: async () => {},
}));
