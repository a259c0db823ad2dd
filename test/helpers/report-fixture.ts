/** A Runtime around a test database, for building reports in tests. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Runtime } from "../../src/app/runtime.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { ReclaimDatabase } from "../../src/db/connect.ts";
import type { Clock } from "../../src/shared/clock.ts";
import { silentLogger } from "../../src/shared/log.ts";

export async function reportRuntime(
  database: ReclaimDatabase,
  clock: Clock,
): Promise<Runtime & { reportsDir: string }> {
  const reportsDir = await mkdtemp(path.join(tmpdir(), "reclaim-reports-"));
  const config = loadConfig({ RECLAIM_REPORTS_DIR: reportsDir }, {}, "/nonexistent");
  return {
    config,
    database,
    clock,
    log: silentLogger,
    reportsDir,
    close: async () => {},
  };
}
