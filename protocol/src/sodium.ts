import sodium from 'libsodium-wrappers';

let initialised = false;

/** Must be awaited once before any other protocol call (loads libsodium's WebAssembly). */
export async function ready(): Promise<void> {
  if (initialised) return;
  await sodium.ready;
  initialised = true;
}

export { sodium };
