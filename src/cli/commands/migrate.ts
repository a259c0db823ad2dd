import { Command } from "commander";
import { openDatabase } from "../../db/connect.ts";
import { migrateDownAll, migrateToLatest } from "../../db/migrate.ts";
import { installQueues } from "../../schedule/boss.ts";
import { configFor } from "../context.ts";

export function migrateCommand(): Command {
  return new Command("migrate")
    .description("apply pending database migrations (every other command also does this on start)")
    .option("--down", "roll back every migration (drops Reclaim's tables and data)")
    .action(async (opts: { down?: boolean }, command: Command) => {
      const config = configFor(command);
      const database = await openDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
      });
      try {
        const results = opts.down
          ? await migrateDownAll(database.db)
          : await migrateToLatest(database.db);
        const verb = opts.down ? "rolled back" : "applied";
        if (results.length === 0) console.log(`${database.location}: schema is up to date`);
        for (const r of results) console.log(`${verb} ${r.migrationName} (${database.location})`);
        // The pg-boss engine's queues are made here, once, not by replicas starting together.
        if (!opts.down && config.schedule.engine === "pg-boss" && config.databaseUrl) {
          const queues = await installQueues(config.databaseUrl);
          console.log(`pg-boss queues ready: ${queues.join(", ")} (${database.location})`);
        }
      } finally {
        await database.close();
      }
    });
}
