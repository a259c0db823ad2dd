/**
 * Finalise-phase scale benchmark: simulated orgs of growing size crawled (bulk strategy) and
 * crawled again unchanged; prints how long the finalise phase took per user at each size, the
 * ratio of the largest to the smallest size per user (linear cost = 1.0; goal ≤ 1.5), and the
 * time of each finalise statement (timed by a Kysely plugin here, not by production code).
 *
 *   npx tsx bench/finalise-scale.ts [--sizes 5000,20000,100000] [--backends pglite,postgres]
 *
 * PGlite runs in memory; Postgres needs DATABASE_URL (its schema is dropped and migrated anew
 * for every size). Wall times; for PGlite (in this process) also the process CPU time of the
 * phase, which swings less on a busy machine.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from "kysely";
import { createAtlassianClient } from "../src/atlassian/index.ts";
import { crawlOrg } from "../src/crawl/crawl-org.ts";
import { RequestMeter } from "../src/crawl/metrics.ts";
import { openDatabase, type ReclaimDatabase } from "../src/db/connect.ts";
import { migrateDownAll, migrateToLatest } from "../src/db/migrate.ts";
import { systemClock } from "../src/shared/clock.ts";
import { silentLogger } from "../src/shared/log.ts";
import { startSimulator } from "../src/simulator/index.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "5000,20000,100000" },
    backends: { type: "string", default: "pglite,postgres" },
    "time-scale": { type: "string", default: "50" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const backends = values.backends
  .split(",")
  .filter((b) => b === "pglite" || !!process.env.DATABASE_URL);
const timeScale = Number(values["time-scale"]);

/** Times every query run while `active`, keyed by the start of its SQL. */
class StatementTimer implements KyselyPlugin {
  active = false;
  readonly totals = new Map<string, { ms: number; calls: number }>();
  readonly #started = new Map<unknown, { at: number; label: string }>();
  #lastDone = 0;
  constructor(private readonly compile: (node: RootOperationNode) => string) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.active) {
      const label = this.compile(args.node).replace(/\s+/g, " ").trim().slice(0, 90);
      this.#started.set(args.queryId, { at: performance.now(), label });
    }
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const s = this.#started.get(args.queryId);
    if (s !== undefined) {
      this.#started.delete(args.queryId);
      // Statements may be compiled before they run (finalise compiles its list up front), but
      // they run one after another: a statement's time starts when the previous one ended.
      const now = performance.now();
      const t = this.totals.get(s.label) ?? { ms: 0, calls: 0 };
      t.ms += now - Math.max(s.at, this.#lastDone);
      this.#lastDone = now;
      t.calls += 1;
      this.totals.set(s.label, t);
    }
    return Promise.resolve(args.result);
  }
}

interface PhaseTime {
  wallMs: number;
  cpuMs: number;
  statements: Map<string, { ms: number; calls: number }>;
  status: string;
  users: number;
}

async function crawlOnce(
  database: ReclaimDatabase,
  sim: Awaited<ReturnType<typeof startSimulator>>,
): Promise<PhaseTime> {
  const executor = database.db.getExecutor();
  const timer = new StatementTimer((node) => executor.compileQuery(node, { queryId: "" }).sql);
  const db = database.db.withPlugin(timer);
  const meter = new RequestMeter();
  const client = createAtlassianClient({
    apiKey: sim.apiKey,
    baseUrl: sim.url,
    maxConcurrency: 16,
    rateLimits: { lastActivePerMinute: 200 * timeScale, defaultPerMinute: 1000 * timeScale },
    onRequest: meter.record,
  });
  let wallStart = 0;
  let cpuStart = 0;
  const result = await crawlOrg(
    { db, client, meter, clock: systemClock, log: silentLogger },
    {
      strategy: "bulk",
      concurrency: 16,
      crossCheckSample: 20,
      lastActivePerMinute: 200 * timeScale,
      onProgress: (p) => {
        if (p.phase === "finalise" && !timer.active) {
          timer.active = true;
          wallStart = performance.now();
          const cpu = process.cpuUsage();
          cpuStart = (cpu.user + cpu.system) / 1000;
        }
      },
    },
  );
  const cpu = process.cpuUsage();
  return {
    wallMs: performance.now() - wallStart,
    cpuMs: (cpu.user + cpu.system) / 1000 - cpuStart,
    statements: timer.totals,
    status: result.status,
    users: result.users,
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printStatements(statements: Map<string, { ms: number; calls: number }>, total: number) {
  const rows = [...statements.entries()].sort((a, b) => b[1].ms - a[1].ms);
  for (const [label, t] of rows) {
    if (t.ms < Math.max(1, total * 0.005)) continue;
    const calls = t.calls > 1 ? ` ×${t.calls}` : "";
    console.log(`      ${fmt(t.ms).padStart(8)} ms  ${label}${calls}`);
  }
}

for (const backend of backends) {
  const perUser: { size: number; first: number; again: number }[] = [];
  for (const size of sizes) {
    const sim = await startSimulator({ orgs: [{ users: size, seed: "bench" }], timeScale });
    const database = await openDatabase({
      databaseUrl: backend === "postgres" ? process.env.DATABASE_URL : undefined,
      dataDir: "memory://",
    });
    if (backend === "postgres") await migrateDownAll(database.db);
    await migrateToLatest(database.db);
    const first = await crawlOnce(database, sim);
    const again = await crawlOnce(database, sim);
    await database.close();
    await sim.close();
    const line = (what: string, t: PhaseTime) =>
      `  ${backend} ${fmt(size).padStart(7)} users, ${what}: ${t.status}, ${fmt(t.users)} users, ` +
      `finalise ${fmt(t.wallMs)} ms wall (${fmt((t.wallMs / t.users) * 1000, 1)} µs/user)` +
      (backend === "pglite" ? `, ${fmt(t.cpuMs)} ms CPU` : "");
    console.log(line("first crawl", first));
    printStatements(first.statements, first.wallMs);
    console.log(line("re-crawl", again));
    printStatements(again.statements, again.wallMs);
    perUser.push({ size, first: first.wallMs / first.users, again: again.wallMs / again.users });
  }
  const small = perUser[0];
  const large = perUser[perUser.length - 1];
  if (small !== undefined && large !== undefined && large !== small) {
    console.log(
      `${backend}: finalise per user, ${fmt(large.size)} / ${fmt(small.size)} users: ` +
        `first crawl ${fmt(large.first / small.first, 2)}, re-crawl ${fmt(large.again / small.again, 2)} (goal ≤ 1.5)`,
    );
  }
}
