/**
 * Test databases on both backends. Every DB test runs on embedded PGlite; when
 * RECLAIM_TEST_DATABASE_URL points at a Postgres server (CI sets it), it runs there too, each
 * suite in a fresh database that is dropped afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { describe } from "vitest";
import { openDatabase, type ReclaimDatabase } from "../../src/db/connect.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";

export interface TestBackend {
  name: "pglite" | "postgres";
  /** Opens a new empty database; `close()` also drops it. */
  open(options?: { migrate?: boolean }): Promise<ReclaimDatabase>;
  /**
   * A new empty database that other processes can use too: `env` points a `reclaim` child
   * process at it; `open()` connects this process (close it before a PGlite child starts).
   */
  shared(): Promise<SharedTestDatabase>;
}

export interface SharedTestDatabase {
  env: Record<string, string>;
  open(): Promise<ReclaimDatabase>;
  drop(): Promise<void>;
}

export const TEST_DATABASE_URL = process.env.RECLAIM_TEST_DATABASE_URL;

export function testBackends(): TestBackend[] {
  const backends: TestBackend[] = [
    { name: "pglite", open: openPgliteTestDb, shared: sharedPgliteTestDb },
  ];
  if (TEST_DATABASE_URL) {
    backends.push({ name: "postgres", open: openPostgresTestDb, shared: sharedPostgresTestDb });
  }
  return backends;
}

/** describe() once per available backend, named after it. */
export function describeEachBackend(title: string, body: (backend: TestBackend) => void): void {
  for (const backend of testBackends()) {
    describe(`${title} [${backend.name}]`, () => body(backend));
  }
}

async function openPgliteTestDb(options: { migrate?: boolean } = {}): Promise<ReclaimDatabase> {
  const database = await openDatabase({ dataDir: "memory://" });
  if (options.migrate ?? true) await migrateToLatest(database.db);
  return database;
}

async function sharedPgliteTestDb(): Promise<SharedTestDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "reclaim-pglite-"));
  return {
    env: { RECLAIM_DATA_DIR: dataDir },
    open: () => openDatabase({ dataDir }),
    drop: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function sharedPostgresTestDb(): Promise<SharedTestDatabase> {
  const adminUrl = TEST_DATABASE_URL!;
  const name = `reclaim_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    open: () => openDatabase({ databaseUrl: url.toString(), dataDir: "unused" }),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function openPostgresTestDb(options: { migrate?: boolean } = {}): Promise<ReclaimDatabase> {
  const adminUrl = TEST_DATABASE_URL!;
  const name = `reclaim_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: "unused" });
  if (options.migrate ?? true) await migrateToLatest(database.db);
  return {
    ...database,
    close: async () => {
      await database.close();
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
