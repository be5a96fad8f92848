/** A route option's hooks as a list (fastify accepts one hook, a list, or none). */
export function hookList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
