/**
 * Which live tiles to add and remove after a poll of a camera's streams. Pure (no DOM).
 */
export function diffStreams<Id extends string>(
  shown: Iterable<Id>,
  listed: readonly { readonly streamId: Id }[],
): { added: Id[]; removed: Id[] } {
  const current = new Set(shown);
  const wanted = new Set(listed.map((stream) => stream.streamId));
  return {
    added: [...wanted].filter((id) => !current.has(id)).sort(),
    removed: [...current].filter((id) => !wanted.has(id)).sort(),
  };
}
