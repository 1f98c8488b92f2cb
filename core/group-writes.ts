/**
 * Turns a writer of many items into a writer of one that callers can await: items that arrive
 * while a write is in flight are written together by the next one (group commit), so many
 * concurrent callers cost a few statements instead of one each. A failed write fails exactly the
 * callers whose items it carried.
 */
export function groupWrites<T>(writeAll: (items: T[]) => Promise<void>, maxBatch = 500): (item: T) => Promise<void> {
  let queue: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  let writing = false;

  const drain = async () => {
    writing = true;
    while (queue.length) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        await writeAll(batch.map((w) => w.item));
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    writing = false;
  };

  return (item: T) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!writing) void drain();
    });
}
