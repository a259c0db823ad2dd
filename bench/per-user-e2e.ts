/**
 * Per-user crawl end to end against the API floor and the naive script, side by side in one
 * run. For each size and backend: (a) bench/naive-crawl.ts, (b) Reclaim's whole crawl with
 * strategy per-user (catalog, users walk, per-user reads, finalise), each against a fresh
 * simulator with the same seed and time scale (the simulator enforces the documented 200
 * last-active-dates requests per minute per org and 1,000 for the rest, scaled).
 *
 *   npx tsx bench/per-user-e2e.ts [--sizes 2000,20000] [--time-scale 50] [--backends pglite,postgres]
 *                                 [--order naive-first|reclaim-first|alternate]
 *
 * Postgres runs when DATABASE_URL is set: each run gets a fresh database named
 * reclaim_peruser_bench_<n> on that server (created, then dropped). PGlite runs in a fresh
 * data directory under the system's temporary folder, as the app runs it.
 *
 * The simulator serves from a child process of its own, as the real API is another machine:
 * its work does not share the crawler's thread (nor, with PGlite, the database's).
 *
 * The floor is the time the API's limits alone impose: last-active-dates calls ÷ their
 * limit (the users-search pages have a limit of their own, and the per-user reads of a page
 * can start once it is stored, so the walk need not add to it; "with search" adds it as if
 * it did). wall/floor ≤ 1.1 and Reclaim/naive < 1 are the goals, with no 429.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { createAtlassianClient } from "../src/atlassian/index.ts";
import { crawlOrg } from "../src/crawl/crawl-org.ts";
import { RequestMeter } from "../src/crawl/metrics.ts";
import { openDatabase, type ReclaimDatabase } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { systemClock } from "../src/shared/clock.ts";
import { silentLogger } from "../src/shared/log.ts";
import { startSimulator } from "../src/simulator/index.ts";
import { naiveCrawl } from "./naive-crawl.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: "string", default: "2000,20000" },
    "time-scale": { type: "string", default: "50" },
    backends: { type: "string" },
    order: { type: "string", default: "alternate" },
    concurrency: { type: "string", default: "16" },
    variants: { type: "string", default: "naive,reclaim" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const timeScale = Number(values["time-scale"]);
const concurrency = Number(values.concurrency);
const backends = (values.backends ?? (process.env.DATABASE_URL ? "pglite,postgres" : "pglite"))
  .split(",")
  .filter((b) => b === "pglite" || b === "postgres");
const LAD_LIMIT = 200 * timeScale; // per minute
const DEFAULT_LIMIT = 1000 * timeScale;
const SEED = "per-user-e2e";

let dbCounter = 0;
async function freshDatabase(
  backend: string,
): Promise<ReclaimDatabase & { drop(): Promise<void> }> {
  if (backend === "pglite") {
    const dir = await mkdtemp(path.join(tmpdir(), "reclaim-peruser-bench-"));
    const d = await openDatabase({ dataDir: dir });
    return { ...d, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const server = process.env.DATABASE_URL!;
  const name = `reclaim_peruser_bench_${process.pid}_${dbCounter++}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  const d = await openDatabase({ databaseUrl: url.toString(), dataDir: "" });
  return {
    ...d,
    drop: async () => {
      const a = new pg.Client({ connectionString: server });
      await a.connect();
      await a.query(`drop database if exists ${name}`);
      await a.end();
    },
  };
}

/**
 * The simulator in a child process (this file, `serve <users>`), for as long as the run needs
 * it: resolves once it listens, and `close()` ends it.
 */
async function simulatorProcess(
  n: number,
): Promise<{ url: string; apiKey: string; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      "serve",
      String(n),
      "--time-scale",
      String(timeScale),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const { url, apiKey } = JSON.parse(line) as { url: string; apiKey: string };
    return {
      url,
      apiKey,
      close: async () => {
        child.stdin.end(); // the child stops when its stdin closes
        await exited;
      },
    };
  }
  throw new Error("the simulator process ended before it listened");
}

if (positionals[0] === "serve") {
  const sim = await startSimulator({
    orgs: [{ users: Number(positionals[1]), seed: SEED }],
    timeScale,
  });
  console.log(JSON.stringify({ url: sim.url, apiKey: sim.apiKey }));
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once("end", resolve));
  await sim.close();
  process.exit(0);
}

interface Row {
  variant: string;
  wallS: number;
  cpuS: number;
  lad: number;
  search: number;
  total: number;
  rateLimited: number;
  phases?: string;
}

function floorS(r: Row): { lad: number; all: number } {
  // Answered calls only: a 429 is counted as a call but takes nothing from the budget.
  const lad = ((r.lad - r.rateLimited) / LAD_LIMIT) * 60;
  return { lad, all: lad + (r.search / DEFAULT_LIMIT) * 60 };
}

async function runNaive(n: number, backend: string): Promise<Row> {
  const sim = await simulatorProcess(n);
  const database = await freshDatabase(backend);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const r = await naiveCrawl({ url: sim.url, apiKey: sim.apiKey }, database.db);
  const wallS = (performance.now() - started) / 1000;
  const c = process.cpuUsage(cpu);
  await database.close();
  await database.drop();
  await sim.close();
  return {
    variant: "naive",
    wallS,
    cpuS: (c.user + c.system) / 1e6,
    lad: r.calls.lastActive,
    search: r.calls.usersSearch,
    total: r.calls.lastActive + r.calls.usersSearch + r.calls.other,
    rateLimited: r.rateLimited,
  };
}

async function runReclaim(n: number, backend: string): Promise<Row> {
  const sim = await simulatorProcess(n);
  const database = await freshDatabase(backend);
  await migrateToLatest(database.db);
  const meter = new RequestMeter();
  const client = createAtlassianClient({
    apiKey: sim.apiKey,
    baseUrl: sim.url,
    maxConcurrency: concurrency,
    rateLimits: { lastActivePerMinute: LAD_LIMIT, defaultPerMinute: DEFAULT_LIMIT },
    onRequest: meter.record,
  });
  const phaseAt = new Map<string, number>();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await crawlOrg(
    { db: database.db, client, meter, clock: systemClock, log: silentLogger },
    {
      strategy: "per-user",
      concurrency,
      crossCheckSample: 20,
      lastActivePerMinute: LAD_LIMIT,
      onProgress: (p) => {
        if (!phaseAt.has(p.phase)) phaseAt.set(p.phase, performance.now());
      },
    },
  );
  const wallS = (performance.now() - started) / 1000;
  const c = process.cpuUsage(cpu);
  loop.disable();
  if (result.status !== "succeeded")
    throw new Error(`crawl ${result.status}: ${result.error ?? ""}`);
  // Time spent in each phase, from when it reported first to when the next one did.
  const marks = [...phaseAt].sort((a, b) => a[1] - b[1]);
  const phases = marks
    .map(([name, at], i) => {
      const end = i + 1 < marks.length ? marks[i + 1]![1] : started + wallS * 1000;
      return `${name} ${((end - at) / 1000).toFixed(1)}`;
    })
    .join(", ");
  await database.close();
  await database.drop();
  await sim.close();
  return {
    variant: "reclaim",
    wallS,
    cpuS: (c.user + c.system) / 1e6,
    lad: result.apiCalls["last-active-dates"] ?? 0,
    search: result.apiCalls["users-search"] ?? 0,
    total: result.apiCallsTotal,
    rateLimited: result.rateLimited,
    phases: `event loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms; before first phase ${(((marks[0]?.[1] ?? started) - started) / 1000).toFixed(1)} s; ${phases}`,
  };
}

console.log(
  `per-user crawl end to end: time scale ${timeScale}x (last-active-dates ${LAD_LIMIT}/min, others ${DEFAULT_LIMIT}/min), concurrency ${concurrency}, backends ${backends.join(", ")}`,
);
let k = 0;
for (const n of sizes) {
  for (const backend of backends) {
    const naiveFirst =
      values.order === "naive-first" || (values.order === "alternate" && k % 2 === 0);
    k++;
    const rows: Row[] = [];
    const variants = values.variants.split(",");
    for (const v of (naiveFirst ? ["naive", "reclaim"] : ["reclaim", "naive"]).filter((x) =>
      variants.includes(x),
    )) {
      rows.push(v === "naive" ? await runNaive(n, backend) : await runReclaim(n, backend));
    }
    const naive = rows.find((r) => r.variant === "naive");
    for (const r of rows) {
      const f = floorS(r);
      console.log(
        [
          `${n} users ${backend.padEnd(8)} ${r.variant.padEnd(7)}`,
          `wall ${r.wallS.toFixed(1)} s (cpu ${r.cpuS.toFixed(1)} s)`,
          `calls ${r.total} (last-active ${r.lad}, users-search ${r.search})`,
          `floor ${f.lad.toFixed(1)} s last-active, ${f.all.toFixed(1)} s with search`,
          `wall/floor ${(r.wallS / f.lad).toFixed(3)} (${(r.wallS / f.all).toFixed(3)} with search)`,
          r.variant === "reclaim" && naive
            ? `reclaim/naive ${(r.wallS / naive.wallS).toFixed(3)}`
            : "",
          `429s ${r.rateLimited}`,
          r.phases ?? "",
        ]
          .filter(Boolean)
          .join(" | "),
      );
    }
  }
}
