/** Runs `work` over `items` with at most `limit` at once; returns the items for which it said true. */
export async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<boolean>): Promise<T[]> {
  const succeeded: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        if (await work(item)) succeeded.push(item);
      }
    }),
  );
  return succeeded;
}
