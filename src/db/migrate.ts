/**
 * Runs the migrations in `migrations/` with Kysely's Migrator. Results are reported, not
 * thrown mid-way: the caller learns which migrations ran before one failed.
 */
import { Migrator, NO_MIGRATIONS, type Kysely, type MigrationResult } from "kysely";
import { migrations } from "../../migrations/index.ts";
import type { Database } from "./schema.ts";

export class MigrationError extends Error {
  override name = "MigrationError";
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
}

/** Applies every pending migration; returns what ran. @throws MigrationError naming the failed one. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResult[]> {
  return check(await migrator(db).migrateToLatest());
}

/** Rolls back every migration (tests and `reclaim migrate --down all`). */
export async function migrateDownAll(db: Kysely<Database>): Promise<MigrationResult[]> {
  return check(await migrator(db).migrateTo(NO_MIGRATIONS));
}

function check(outcome: { error?: unknown; results?: MigrationResult[] }): MigrationResult[] {
  const results = outcome.results ?? [];
  if (outcome.error) {
    const failed = results.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    const cause =
      outcome.error instanceof Error ? outcome.error.message : JSON.stringify(outcome.error);
    throw new MigrationError(`migration ${failed} failed: ${cause}`, { cause: outcome.error });
  }
  return results;
}
