import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { migrateDownAll, migrateToLatest } from "../../../src/db/migrate.ts";
import type { Database } from "../../../src/db/schema.ts";
import { describeEachBackend } from "../../helpers/database.ts";

/** Tables, columns, types, nullability and defaults of the public schema, as one sorted list. */
async function describeSchema(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ line: string }>`
    select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
           || ' ' || coalesce(column_default, '-') as line
    from information_schema.columns
    where table_schema = 'public' and table_name not like 'kysely_%'
    order by 1`.execute(db);
  const { rows: constraints } = await sql<{ line: string }>`
    select conrelid::regclass::text || ' ' || conname || ' ' || contype::text as line
    from pg_constraint where connamespace = 'public'::regnamespace
      and conrelid::regclass::text not like 'kysely_%'
    order by 1`.execute(db);
  return [...rows.map((r) => r.line), ...constraints.map((r) => r.line)];
}

describeEachBackend("migrations", (backend) => {
  let database: ReclaimDatabase;
  beforeAll(async () => {
    database = await backend.open({ migrate: false });
  });
  afterAll(async () => {
    await database.close();
  });

  it("migrate up, down and up again leaves the same schema", async () => {
    const applied = await migrateToLatest(database.db);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.every((r) => r.status === "Success")).toBe(true);
    const first = await describeSchema(database.db);
    expect(first.some((line) => line.startsWith("user_products.last_active_at "))).toBe(true);

    const reverted = await migrateDownAll(database.db);
    expect(reverted.map((r) => r.migrationName)).toEqual(
      applied.map((r) => r.migrationName).reverse(),
    );
    expect(await describeSchema(database.db)).toEqual([]);

    await migrateToLatest(database.db);
    expect(await describeSchema(database.db)).toEqual(first);
  });

  it("normalises value types the same way on every backend", async () => {
    const { db } = database;
    await db.insertInto("orgs").values({ org_id: "o1", name: "Org" }).execute();
    const count = await db
      .selectFrom("orgs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
    const row = await sql<{
      d: string;
      t: Date;
      big: number;
      j: unknown;
    }>`select date '2026-03-01' as d, timestamptz '2026-03-01T10:00:00Z' as t,
              9007199254740991::bigint as big, '["a"]'::jsonb as j`.execute(db);
    expect(row.rows[0]).toEqual({
      d: "2026-03-01",
      t: new Date("2026-03-01T10:00:00Z"),
      big: 9007199254740991,
      j: ["a"],
    });
  });
});
