/**
 * A new embedded database starts from the install-time template (src/db/pglite-template.ts)
 * instead of running initdb; an existing one is opened as it is, never replaced by it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, expect, it } from "vitest";
import { openDatabase } from "../../../src/db/connect.ts";
import { migrateToLatest } from "../../../src/db/migrate.ts";
import { pgliteTemplatePath, readPgliteTemplate } from "../../../src/db/pglite-template.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

it("is made by the install (npm install / npm ci run the build) for the installed PGlite", async () => {
  const file = pgliteTemplatePath();
  expect(file).toMatch(/dist[/\\]pglite-template-\d+\.\d+\.\d+\.tar$/);
  expect(existsSync(file!), `${file} (run npm run build)`).toBe(true);
  expect((await readPgliteTemplate())?.byteLength).toBeGreaterThan(1_000_000);
});

it("opens a new data folder from it, and later opens that folder with its data kept", async () => {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), "reclaim-template-")), "data");
  dirs.push(path.dirname(dir));
  const first = await openDatabase({ dataDir: dir });
  await migrateToLatest(first.db);
  await first.db.insertInto("orgs").values({ org_id: "kept", name: "Kept" }).execute();
  await first.close();
  expect(existsSync(path.join(dir, "PG_VERSION"))).toBe(true);

  const again = await openDatabase({ dataDir: dir });
  try {
    const orgs = await again.db.selectFrom("orgs").select("org_id").execute();
    expect(orgs).toEqual([{ org_id: "kept" }]);
    const { rows } = await sql<{ server_version: string }>`show server_version`.execute(again.db);
    expect(rows[0]!.server_version).toMatch(/^\d+/);
  } finally {
    await again.close();
  }
});
