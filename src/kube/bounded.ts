/**
 * Work over many items with at most a given number in flight: a drain's nodes, bounded so the
 * pods of a large scale-down do not all need a new home in the same minute.
 */

/**
 * `work` for every item, at most `limit` at a time, started in the items' order; the results in
 * that order. After a failure no further item starts, the ones running are waited for (so nothing
 * is left half done behind the caller's back), and the first failure is thrown.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
