/**
 * Runs `fn` over items with at most `concurrency` in flight; results keep the input order.
 * After the first failure no new item is started and `onFailure` is called at once (the
 * caller aborts the items in flight with it), then the first error is thrown: one fatal
 * error never keeps the rest of a batch calling the API.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
  onFailure?: (error: unknown) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        if (!failed) onFailure?.(error);
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
  return results;
}
