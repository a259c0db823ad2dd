/** An array query parameter given as repeated keys and/or comma lists; undefined when absent. */
export function queryList(q: URLSearchParams, key: string): string[] | undefined {
  const values = q
    .getAll(key)
    .flatMap((v) => v.split(","))
    .filter((v) => v !== "");
  return values.length > 0 ? values : undefined;
}
