/**
 * Embedded PGlite runs in a worker thread (src/db/pglite-worker.ts): the caller's thread stays
 * free while a statement runs, and what callers read from errors (SQLSTATE, detail) survives
 * the trip between threads.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDatabase, type ReclaimDatabase } from "../../../src/db/connect.ts";
import { isUniqueViolation } from "../../../src/db/errors.ts";
import { migrateToLatest } from "../../../src/db/migrate.ts";

let database: ReclaimDatabase;
beforeAll(async () => {
  database = await openDatabase({ dataDir: "memory://" });
  await migrateToLatest(database.db);
});
afterAll(async () => {
  await database.close();
});

it("runs a statement off the caller's thread: the caller's event loop turns meanwhile", async () => {
  // In the caller's thread the WebAssembly would run this in one turn of the event loop,
  // and the ticks below could only run before it starts or after it ends.
  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const { rows } = await sql<{
    n: number;
  }>`select count(*) as n from generate_series(1, 3000000) i where i % 7 = 0`.execute(database.db);
  running = false;
  expect(rows[0]!.n).toBe(428_571);
  expect(ticks).toBeGreaterThan(20);
});

it("keeps the SQLSTATE and the detail of a refused statement", async () => {
  await database.db.insertInto("orgs").values({ org_id: "o1", name: "One" }).execute();
  const error = await database.db
    .insertInto("orgs")
    .values({ org_id: "o1", name: "Again" })
    .execute()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(Error);
  expect(isUniqueViolation(error)).toBe(true);
  expect((error as { detail?: string }).detail).toMatch(/\(org_id\)=\(o1\) already exists/);
});

it("converts types as node-postgres is configured to: bigint and numeric to numbers, dates as text", async () => {
  const { rows } = await sql<{
    big: unknown;
    num: unknown;
    day: unknown;
    at: unknown;
  }>`select 9007199254740::bigint as big, 12.5::numeric as num, date '2026-12-03' as day,
       timestamptz '2026-12-03T10:00:00Z' as at`.execute(database.db);
  expect(rows[0]).toEqual({
    big: 9_007_199_254_740,
    num: 12.5,
    day: "2026-12-03",
    at: new Date("2026-12-03T10:00:00Z"),
  });
});

it("a transaction rolled back in the thread leaves nothing", async () => {
  await expect(
    database.db.transaction().execute(async (trx) => {
      await trx.insertInto("orgs").values({ org_id: "o2", name: "Two" }).execute();
      throw new Error("stop");
    }),
  ).rejects.toThrow("stop");
  const orgs = await database.db
    .selectFrom("orgs")
    .select("org_id")
    .where("org_id", "=", "o2")
    .execute();
  expect(orgs).toEqual([]);
});

it("closed without a statement run, it refuses later statements instead of answering them", async () => {
  const other = await openDatabase({ dataDir: "memory://" });
  await other.close();
  await expect(sql`select 1`.execute(other.db)).rejects.toThrow(/closed/);
});

it("starts the server with the settings it is given, beside PGlite's own", async () => {
  const shown = async (name: string) =>
    (await sql<Record<string, string>>`${sql.raw(`show ${name}`)}`.execute(database.db)).rows[0]![
      name
    ];
  // Ours (connect.ts): small shared buffers, as the database's memory is this process's.
  expect(await shown("shared_buffers")).toBe("16MB");
  // PGlite's defaults are kept: no parallel workers in WebAssembly.
  expect(await shown("max_parallel_workers_per_gather")).toBe("0");
});
