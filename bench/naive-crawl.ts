/**
 * The naive per-user crawl, the baseline of bench/per-user-e2e.ts: what someone would write
 * in an afternoon with plain fetch. List every user through v2 users search, then for each
 * user, one after another, read last-active-dates (all its pages); on a 429 sleep for
 * Retry-After and try again. Each user's products are stored with one multi-row INSERT into
 * a plain table, so it does real storage work too. No Reclaim client, no pacing, no resume.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- untyped JSON on purpose: the naive script parses nothing */
import { sql, type Kysely } from "kysely";

export interface NaiveResult {
  users: number;
  rows: number;
  calls: { usersSearch: number; lastActive: number; other: number };
  rateLimited: number;
}

export async function naiveCrawl(
  opts: { url: string; apiKey: string },
  db: Kysely<any>,
): Promise<NaiveResult> {
  const out: NaiveResult = {
    users: 0,
    rows: 0,
    calls: { usersSearch: 0, lastActive: 0, other: 0 },
    rateLimited: 0,
  };
  const call = async (
    path: string,
    init: RequestInit = {},
    kind: keyof NaiveResult["calls"] = "other",
  ) => {
    for (;;) {
      out.calls[kind]++;
      const res = await fetch(opts.url + path, {
        ...init,
        headers: { Authorization: `Bearer ${opts.apiKey}`, "Content-Type": "application/json" },
      });
      if (res.status === 429) {
        out.rateLimited++;
        await res.arrayBuffer();
        const wait = Number(res.headers.get("Retry-After") ?? "1");
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      return (await res.json()) as any;
    }
  };
  await sql`create table if not exists naive_activity (account_id text, product text, resource text, last_active date)`.execute(
    db,
  );

  const orgId: string = (await call("/admin/v1/orgs")).data[0].id;
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      `/admin/v2/orgs/${orgId}/directories/-/users/search`,
      { method: "POST", body: JSON.stringify({ limit: 100, ...(cursor ? { cursor } : {}) }) },
      "usersSearch",
    );
    for (const u of page.data) ids.push(u.accountId);
    cursor = page.links?.next ?? undefined;
  } while (cursor);

  for (const id of ids) {
    const rows: { product: string; resource: string; date: string | null }[] = [];
    let next: string | undefined;
    do {
      const q = next ? `?cursor=${encodeURIComponent(next)}` : "";
      const body = await call(
        `/admin/v1/orgs/${orgId}/directory/users/${id}/last-active-dates${q}`,
        {},
        "lastActive",
      );
      for (const p of body.data.product_access)
        rows.push({ product: p.key, resource: p.id, date: p.last_active ?? null });
      next = body.links?.next ?? body.data.links?.next ?? undefined;
    } while (next);
    if (rows.length > 0) {
      const values = sql.join(
        rows.map((r) => sql`(${id}, ${r.product}, ${r.resource}, ${r.date})`),
      );
      await sql`insert into naive_activity values ${values}`.execute(db);
    }
    out.users++;
    out.rows += rows.length;
  }
  return out;
}
