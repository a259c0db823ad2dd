/**
 * The composition root: the one place that builds the shared parts (database, clock,
 * logger) from a validated Config. Commands open a runtime, use it and close it in `finally`.
 */
import type { Config } from "../config/config.ts";
import { openDatabase, type ReclaimDatabase } from "../db/connect.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { createLogger, type Logger } from "../shared/log.ts";
import { OrgClients, type ClientTuning } from "./org-clients.ts";

export interface Runtime {
  config: Config;
  database: ReclaimDatabase;
  clock: Clock;
  log: Logger;
  /**
   * One Admin API client (and rate limiter) per configured org, for the whole process; set by
   * openRuntime. Runtimes assembled by hand (tests) may leave it out.
   */
  clients?: OrgClients;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  log?: Logger;
  /** Apply pending migrations on open (every command but `migrate` itself). */
  migrate?: boolean;
  /** Admin API client settings (the demo matches them to its fast simulator). */
  client?: ClientTuning;
}

/** Opens the database (migrating it unless told not to) and wires the shared parts. */
export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? createLogger();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (options.migrate ?? true) await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return {
    config,
    database,
    clock: options.clock ?? systemClock,
    log,
    clients: new OrgClients(config.orgs, config.crawl, options.client),
    close: () => database.close(),
  };
}

/** Runs `fn` with an open runtime and always closes it. */
export async function withRuntime<T>(
  config: Config,
  fn: (runtime: Runtime) => Promise<T>,
  options: RuntimeOptions = {},
): Promise<T> {
  const runtime = await openRuntime(config, options);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}
