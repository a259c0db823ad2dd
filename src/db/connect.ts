/**
 * The one database factory: node-postgres when a URL is given, embedded PGlite otherwise.
 * Both backends run the same migrations and queries and return the same JS types (see
 * schema.ts for the conventions, normalised here and nowhere else).
 */
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { describeDatabaseUrl } from "../config/redact.ts";
import { asStorageError, storageCode } from "../shared/storage.ts";
import { lockDataDir, type DataDirLock } from "./data-dir-lock.ts";
import { PGliteDialect } from "./pglite-dialect.ts";
import { PGliteWorker } from "./pglite-worker.ts";
import { readPgliteTemplate } from "./pglite-template.ts";
import type { Database } from "./schema.ts";

export type Backend = "postgres" | "pglite";

export interface ReclaimDatabase {
  db: Kysely<Database>;
  backend: Backend;
  /** Where the data lives, safe to print (no password). */
  location: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Postgres connection string; when absent, embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data folder, or "memory://" for a throwaway database. */
  dataDir: string;
  /** Pool size for node-postgres. */
  maxConnections?: number;
}

/** Raised when the database cannot be reached; the message names the host, never the password. */
export class DatabaseConnectionError extends Error {
  override name = "DatabaseConnectionError";
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;
const PG_DATE = 1082;
/** Both backends: 64-bit integers and numerics become JS numbers, dates stay 'YYYY-MM-DD'. */
const NUMBER_TYPES = [PG_INT8, PG_NUMERIC];
const TEXT_TYPES = [PG_DATE];

const toNumber = (value: string): number => Number(value);
const asIs = (value: string): string => value;

/**
 * Opens the database and checks it answers. An embedded data folder is locked for this
 * process until `close()` (see data-dir-lock.ts).
 * @throws DatabaseConnectionError when the server cannot be reached or refuses the login.
 * @throws DataDirInUseError when another live process holds the embedded data folder.
 */
export async function openDatabase(options: DatabaseOptions): Promise<ReclaimDatabase> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.maxConnections ?? 10)
    : openPglite(options.dataDir);
}

async function openPostgres(url: string, max: number): Promise<ReclaimDatabase> {
  const location = describeDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (NUMBER_TYPES.includes(oid)) return toNumber;
        if (TEXT_TYPES.includes(oid)) return asIs;
        return pg.types.getTypeParser(oid, format) as unknown;
      }) as typeof pg.types.getTypeParser,
    },
  });
  // A client losing its connection — idle in the pool, or checked out between two queries —
  // must not crash the process: the query that uses it next fails, and callers that can
  // (the crawl) retry on a new connection.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => {
    client.on("error", () => undefined);
    // Queued ahead of the client's first query. JIT compilation (on by default where the
    // server is built with LLVM) spends ~0.5 s compiling each whole-org statement, whose
    // per-user index lookups the planner prices high, and never wins it back here: a
    // report's org totals at 100k users take 1.1 s with it, 0.6 s without.
    client.query("set jit = off").catch(() => undefined);
  });
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseConnectionError(
      `cannot connect to Postgres at ${location}: ${describeCause(error, url)}`,
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, backend: "postgres", location, close: () => db.destroy() };
}

async function openPglite(dataDir: string): Promise<ReclaimDatabase> {
  const inMemory = dataDir.startsWith("memory://");
  const location = inMemory ? "embedded PGlite (in memory)" : `embedded PGlite in ${dataDir}`;
  const storage = {
    what: "the embedded database",
    folder: dataDir,
    setting: "RECLAIM_DATA_DIR (or --data-dir)",
  };
  // A folder made here and left half-initialised would fail every later open: removed on failure.
  let created: string | undefined;
  let lock: DataDirLock | undefined;
  if (!inMemory) {
    try {
      created = await mkdir(path.resolve(dataDir), { recursive: true });
    } catch (error) {
      if (storageCode(error)) throw asStorageError(error, storage);
      throw new DatabaseConnectionError(
        `cannot create the data dir ${dataDir} (RECLAIM_DATA_DIR or --data-dir): ${describeCause(error)}`,
      );
    }
    lock = await lockDataDir(dataDir);
  }
  try {
    // A new database starts from the install-time template instead of running initdb.
    const fresh = inMemory || !existsSync(path.join(path.resolve(dataDir), "PG_VERSION"));
    const template = fresh ? await readPgliteTemplate() : undefined;
    const client = await PGliteWorker.open({
      dataDir: inMemory ? "memory://" : path.resolve(dataDir),
      template,
      numberTypes: NUMBER_TYPES,
      textTypes: TEXT_TYPES,
      // The embedded database's pages are in this process's memory or its local files: a
      // random read costs about what a sequential one does. With the server default (4) the
      // planner scans a whole table rather than probe its primary key for a page's 100 users.
      setup: ["set random_page_cost = 1.1"],
      serverSettings: PGLITE_SERVER_SETTINGS,
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
    return {
      db,
      backend: "pglite",
      location,
      close: async () => {
        try {
          await db.destroy();
          // Kysely destroys only a driver it has used: a database opened and closed without
          // a statement would keep its thread (and its files open) otherwise.
          await client.close();
        } finally {
          await lock?.release();
        }
      },
    };
  } catch (error) {
    await lock?.release();
    if (created) await rm(created, { recursive: true, force: true }).catch(() => undefined);
    if (storageCode(error)) throw asStorageError(error, storage);
    throw new DatabaseConnectionError(`cannot open ${location}: ${describeCause(error)}`);
  }
}

/**
 * The embedded server's start-up settings. Its shared buffers live in the WebAssembly memory
 * of this process, and its files are local (the OS caches them anyway). With Postgres's 128 MB
 * default, reading a 100k-user report's statistics and pages peaked at 485 MB RSS, with 16 MB
 * at 364 MB, in the same 6.7-7.3 s; the whole report (workbooks included) 582-595 MB against
 * 461-466 MB. Finalise of a first 20k-user crawl into a data directory took 3.3-3.8 s either
 * way, and `npm start` peaked at 525-537 MB instead of 626-645 MB (BENCHMARKS.md).
 */
const PGLITE_SERVER_SETTINGS = { shared_buffers: "16MB" } as const;

/** One line from a driver error, with any password that might be in it removed. */
function describeCause(error: unknown, url?: string): string {
  const e = error as { code?: string; message?: string } | undefined;
  let text = (e?.message ?? String(error)).split("\n")[0] ?? "unknown error";
  if (url) {
    const password = safePassword(url);
    if (password) text = text.split(password).join("***");
  }
  return e?.code && !text.includes(e.code) ? `${text} (${e.code})` : text;
}

function safePassword(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password.length > 0 ? password : undefined;
  } catch {
    return undefined;
  }
}
