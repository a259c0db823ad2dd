/**
 * Overlaps producing and consuming an async sequence: while the caller works on one item
 * (stores a page), the next ones are already being produced (fetched). At most `depth` items
 * are read ahead, so memory stays bounded and a stop loses at most those.
 *
 * The source must accept `next()` calls before earlier ones settle, as async generators do
 * (they queue them and produce the items one after another).
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth = 2): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const ahead: Promise<IteratorResult<T>>[] = [];
  const pull = () => {
    const next = iterator.next();
    // A read ahead may fail while the caller is busy: the failure surfaces when the caller
    // reaches it, never as an unhandled rejection in between.
    next.catch(() => undefined);
    ahead.push(next);
  };
  for (let i = 0; i < depth; i++) pull();
  let finished = false;
  try {
    for (;;) {
      const result = await ahead.shift()!;
      if (result.done === true) {
        finished = true;
        return;
      }
      pull();
      yield result.value;
    }
  } catch (error) {
    finished = true; // the source threw: it is done, there is nothing to close
    throw error;
  } finally {
    // The caller stopped early (an error while storing, a break): close the source once its
    // reads in flight settle, so its own cleanup runs.
    if (!finished) await iterator.return?.();
  }
}
