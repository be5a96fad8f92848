import type { Page } from 'playwright-core';

/** One memory-infra dump of a process: bytes per top-level allocator (malloc, partition_alloc, v8, cc…). */
export type AllocatorSizes = Record<string, number>;

interface DumpEvent {
  readonly ph?: string;
  readonly pid?: number;
  readonly name?: string;
  readonly args?: {
    readonly dumps?: {
      readonly allocators?: Record<
        string,
        { readonly attrs?: { readonly size?: { readonly value?: string } } }
      >;
    };
  };
}

/**
 * Chromium's own account of a process's memory by allocator (the memory-infra tracing category:
 * what chrome://tracing shows), from one detailed dump requested over the page's DevTools session.
 * Returns the sizes for `pid` (the page's renderer), or an empty record if the dump did not include it.
 */
export async function allocatorSizes(page: Page, pid: number): Promise<AllocatorSizes> {
  const session = await page.context().browser()?.newBrowserCDPSession();
  if (!session) return {};
  const events: DumpEvent[] = [];
  try {
    session.on('Tracing.dataCollected', (data: { value: DumpEvent[] }) => events.push(...data.value));
    const complete = new Promise<void>((resolve) => session.once('Tracing.tracingComplete', () => resolve()));
    await session.send('Tracing.start', {
      transferMode: 'ReportEvents',
      traceConfig: {
        includedCategories: ['disabled-by-default-memory-infra'],
        excludedCategories: ['*'],
        // No periodic dumps, only the one requested (the protocol's type says string values; Chromium
        // reads this object as the trace config's JSON).
        memoryDumpConfig: { triggers: [] } as unknown as Record<string, string>,
      },
    });
    // Not deterministic: that would collect garbage first, which a user's page does not get every 30 s.
    await session.send('Tracing.requestMemoryDump', { deterministic: false, levelOfDetail: 'detailed' });
    await session.send('Tracing.end');
    await complete;
  } finally {
    await session.detach().catch(() => undefined);
  }
  const sizes: AllocatorSizes = {};
  for (const event of events) {
    if (event.ph !== 'v' || event.pid !== pid) continue;
    for (const [name, dump] of Object.entries(event.args?.dumps?.allocators ?? {})) {
      if (name.includes('/')) continue;
      const value = dump.attrs?.size?.value;
      if (value) sizes[name] = Number.parseInt(value, 16);
    }
  }
  return sizes;
}
