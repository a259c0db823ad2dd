import type { EndpointClass } from "./endpoint-classes.ts";
import { PaginationLoopError, SchemaError } from "./errors.ts";

/**
 * One page of a listing. `cursor` is what fetched this page (undefined for the first page);
 * `nextCursor` is what fetches the next one (undefined on the last page). A resumable caller
 * checkpoints `nextCursor` after processing `items`.
 */
export interface Page<T> {
  items: T[];
  cursor: string | undefined;
  nextCursor: string | undefined;
}

export interface FetchedPage<T> {
  items: T[];
  /** Raw `next` link or cursor as the server sent it (URL or bare cursor). */
  next: string | null | undefined;
}

export interface WalkOptions<T> {
  endpoint: EndpointClass;
  /** `METHOD /path` for error messages. */
  label: string;
  startCursor?: string | undefined;
  /** Stop with PaginationLoopError after this many pages. */
  maxPages: number;
  fetchPage: (cursor: string | undefined) => Promise<FetchedPage<T>>;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_MAX_PAGES = 100_000;

/**
 * Extracts the cursor from a `links.next` value. Accepts a bare cursor (v2, last-active-dates)
 * or an absolute/relative URL carrying a `cursor` query parameter (v1 link URLs, and v2 as
 * License Leash parses it). Returns undefined at the end of data. A URL without a cursor is an
 * error: following arbitrary URLs would risk sending the key elsewhere.
 */
export function cursorFromNext(
  next: string | null | undefined,
  ctx: { endpoint: EndpointClass; label: string },
): string | undefined {
  if (next === null || next === undefined) return undefined;
  const v = next.trim();
  if (v === "") return undefined;
  const looksLikeUrl =
    /^https?:\/\//i.test(v) || ((v.startsWith("/") || v.startsWith("?")) && v.includes("cursor="));
  if (!looksLikeUrl) return v;
  let url: URL;
  try {
    url = new URL(v, "http://relative.invalid");
  } catch {
    return v;
  }
  const cursor = url.searchParams.get("cursor");
  if (cursor === null || cursor === "") {
    throw new SchemaError(
      `${ctx.label}: the next-page link "${v.slice(0, 120)}" has no cursor parameter; cannot continue the listing.`,
      { endpoint: ctx.endpoint, request: ctx.label, path: "links.next" },
    );
  }
  return cursor;
}

/**
 * Walks pages until the server stops sending a next cursor. A repeated cursor or more than
 * `maxPages` pages ends the walk with PaginationLoopError — never silently.
 */
export async function* walkPages<T>(opts: WalkOptions<T>): AsyncGenerator<Page<T>> {
  const seen = new Set<string>();
  let cursor = opts.startCursor === "" ? undefined : opts.startCursor;
  if (cursor !== undefined) seen.add(cursor);
  for (let pages = 1; ; pages++) {
    if (pages > opts.maxPages) {
      throw new PaginationLoopError(
        `${opts.label}: more than ${opts.maxPages} pages; stopping to avoid an endless walk. ` +
          `Raise maxPages if the data really is this large.`,
        { endpoint: opts.endpoint, request: opts.label, pages: pages - 1 },
      );
    }
    opts.signal?.throwIfAborted();
    const page = await opts.fetchPage(cursor);
    const nextCursor = cursorFromNext(page.next, opts);
    if (nextCursor !== undefined && seen.has(nextCursor)) {
      throw new PaginationLoopError(
        `${opts.label}: the server returned cursor "${nextCursor.slice(0, 60)}" a second time after ${pages} page(s); ` +
          `stopping instead of looping. Restart the listing; if it repeats, the API is misbehaving.`,
        { endpoint: opts.endpoint, request: opts.label, pages },
      );
    }
    yield { items: page.items, cursor, nextCursor };
    if (nextCursor === undefined) return;
    seen.add(nextCursor);
    cursor = nextCursor;
  }
}

/** Collects every item of a page walk. */
export async function collectItems<T>(pages: AsyncIterable<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(...p.items);
  return out;
}
