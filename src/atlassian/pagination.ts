import { redactThenTruncate } from "../config/redact.ts";
import type { EndpointClass } from "./endpoint-classes.ts";
import type { PaginationStop } from "./errors.ts";
import { PaginationLoopError, SchemaError } from "./errors.ts";

/**
 * A record of a page that could not be used (no id, a field of the wrong type, an unparsable
 * timestamp). It is left out of `items`; the caller records it, and a run that saw one is
 * incomplete — the record's subject was neither seen nor confirmed gone.
 */
export interface RejectedRecord {
  endpoint: EndpointClass;
  /** `METHOD /path` of the page it came on. */
  request: string;
  /** The record's id (accountId, group id …) when it had a usable one. */
  id?: string | undefined;
  /** Position on its page, from 0. */
  index: number;
  /** What is wrong with it, naming the field; scrubbed of secrets. */
  reason: string;
}

/**
 * One page of a listing. `cursor` is what fetched this page (undefined for the first page);
 * `nextCursor` is what fetches the next one (undefined on the last page). A resumable caller
 * checkpoints `nextCursor` after processing `items` and recording `rejected`.
 */
export interface Page<T> {
  /** The usable records, in the order the API sent them. */
  items: T[];
  /** Records of this page that could not be used; `[]` when every record was usable. */
  rejected: RejectedRecord[];
  cursor: string | undefined;
  nextCursor: string | undefined;
}

export interface FetchedPage<T> {
  items: T[];
  rejected?: RejectedRecord[];
  /** Raw `next` link or cursor as the server sent it (URL or bare cursor). */
  next: string | null | undefined;
}

/** How far a walk may go before it is stopped with PaginationLoopError. */
export interface PageBounds {
  /** Hard ceiling of pages (`reason: "page-ceiling"`). */
  maxPages?: number | undefined;
  /**
   * Pages in a row with no record but a next cursor (`reason: "empty-pages"`): a server that
   * keeps inventing cursors over nothing is not walked without end. Default 10.
   */
  maxEmptyPages?: number | undefined;
  /**
   * How many records the API says exist (e.g. `countUsers`). The walk stops
   * (`reason: "beyond-expected"`) once it has seen more than this plus
   * max(200, 10%) — room for users added during the walk and duplicates across pages.
   */
  expectedTotal?: number | undefined;
}

export interface WalkOptions<T> extends PageBounds {
  endpoint: EndpointClass;
  /** `METHOD /path` for error messages. */
  label: string;
  startCursor?: string | undefined;
  fetchPage: (cursor: string | undefined) => Promise<FetchedPage<T>>;
  signal?: AbortSignal | undefined;
  /** Scrubs secrets out of server text quoted in errors (cursors, links). */
  scrub?: ((text: string) => string) | undefined;
}

export const DEFAULT_MAX_PAGES = 100_000;
export const DEFAULT_MAX_EMPTY_PAGES = 10;

/** Records allowed beyond `expectedTotal` before a walk counts as runaway. */
export function expectedTotalSlack(expectedTotal: number): number {
  return Math.max(200, Math.ceil(expectedTotal * 0.1));
}

/**
 * Extracts the cursor from a `links.next` value. Accepts a bare cursor (v2, last-active-dates)
 * or an absolute/relative URL carrying a `cursor` query parameter (v1 link URLs, and v2 as
 * License Leash parses it). Returns undefined at the end of data. A URL without a cursor is an
 * error: following arbitrary URLs would risk sending the key elsewhere.
 */
export function cursorFromNext(
  next: string | null | undefined,
  ctx: { endpoint: EndpointClass; label: string; scrub?: ((text: string) => string) | undefined },
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
      `${ctx.label}: the next-page link "${redactThenTruncate(v, 120, ctx.scrub ?? identity)}" has no cursor parameter; cannot continue the listing.`,
      { endpoint: ctx.endpoint, request: ctx.label, path: "links.next" },
    );
  }
  return cursor;
}

/**
 * Walks pages until the server stops sending a next cursor. Yields every page, rejected
 * records included. Throws PaginationLoopError — never ends silently — on a repeated cursor,
 * past `maxPages`, after `maxEmptyPages` empty pages in a row that still had a next cursor,
 * or when the records seen run far beyond `expectedTotal`. Checks the signal before each page.
 */
export async function* walkPages<T>(opts: WalkOptions<T>): AsyncGenerator<Page<T>> {
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const maxEmpty = opts.maxEmptyPages ?? DEFAULT_MAX_EMPTY_PAGES;
  const scrub = opts.scrub ?? identity;
  const stop = (reason: PaginationStop, pages: number, message: string): PaginationLoopError =>
    new PaginationLoopError(`${opts.label}: ${message}`, {
      endpoint: opts.endpoint,
      request: opts.label,
      pages,
      reason,
    });
  const seen = new Set<string>();
  let cursor = opts.startCursor === "" ? undefined : opts.startCursor;
  if (cursor !== undefined) seen.add(cursor);
  let records = 0;
  let emptyRun = 0;
  for (let pages = 1; ; pages++) {
    if (pages > maxPages) {
      throw stop(
        "page-ceiling",
        pages - 1,
        `more than ${maxPages} pages (the ceiling, maxPages); stopping to avoid an endless walk. ` +
          `Raise maxPages if the data really is this large.`,
      );
    }
    opts.signal?.throwIfAborted();
    const page = await opts.fetchPage(cursor);
    const rejected = page.rejected ?? [];
    const nextCursor = cursorFromNext(page.next, opts);
    if (nextCursor !== undefined && seen.has(nextCursor)) {
      throw stop(
        "repeated-cursor",
        pages,
        `the server returned cursor "${redactThenTruncate(nextCursor, 60, scrub)}" a second time after ${pages} page(s); ` +
          `stopping instead of looping. Restart the listing; if it repeats, the API is misbehaving.`,
      );
    }
    const onPage = page.items.length + rejected.length;
    records += onPage;
    emptyRun = onPage === 0 && nextCursor !== undefined ? emptyRun + 1 : 0;
    if (emptyRun >= maxEmpty) {
      throw stop(
        "empty-pages",
        pages,
        `${emptyRun} empty pages in a row, each with a next cursor; stopping: the server is ` +
          `inventing cursors over no data. Restart the listing later; if it repeats, the API is misbehaving.`,
      );
    }
    if (opts.expectedTotal !== undefined) {
      const allowed = opts.expectedTotal + expectedTotalSlack(opts.expectedTotal);
      if (records > allowed) {
        throw stop(
          "beyond-expected",
          pages,
          `${records} records after ${pages} page(s), far beyond the ${opts.expectedTotal} the API ` +
            `said exist (allowed up to ${allowed}); stopping: the pages do not converge. Restart the listing.`,
        );
      }
    }
    yield { items: page.items, rejected, cursor, nextCursor };
    if (nextCursor === undefined) return;
    seen.add(nextCursor);
    cursor = nextCursor;
  }
}

/**
 * Collects every item of a page walk. Throws SchemaError when any page had a rejected record:
 * a complete list is what this promises. Walk the pages yourself to keep going past them.
 */
export async function collectItems<T>(pages: AsyncIterable<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  const rejected: RejectedRecord[] = [];
  for await (const p of pages) {
    out.push(...p.items);
    rejected.push(...(p.rejected ?? []));
  }
  const first = rejected[0];
  if (first) {
    throw new SchemaError(
      `${first.request}: ${rejected.length} record(s) could not be used, so the list is incomplete. ` +
        `First: ${first.id !== undefined ? `${first.id}: ` : `#${first.index}: `}${first.reason}`,
      { endpoint: first.endpoint, request: first.request },
    );
  }
  return out;
}

function identity(s: string): string {
  return s;
}
