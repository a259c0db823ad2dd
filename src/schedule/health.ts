/**
 * `reclaim schedule --listen HOST:PORT`: `/healthz` and `/metrics` over HTTP. Both read the
 * ledger at request time, so every replica answers with the same facts and a restart loses
 * nothing. Metrics are built with prom-client (its own registry, not the global one).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Kysely } from "kysely";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { ScheduleConfig, ScheduleJobName } from "../config/sections/schedule.ts";
import type { Database } from "../db/schema.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { expectedPeriodMs } from "./cron.ts";
import {
  countsByStatus,
  knownSchedules,
  lastFinishedPerOrg,
  lastRuns,
  lastSuccesses,
} from "./ledger.repository.ts";

export interface HealthDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  schedule: ScheduleConfig;
  /** Jobs that run on their own; disabled jobs are never stale. */
  jobs: readonly ScheduleJobName[];
}

export interface JobHealth {
  job: ScheduleJobName;
  cron: string;
  /** ISO slot of the latest run that ended as planned, or null. */
  lastRunSlot: string | null;
  /** How long after that slot (or after the schedule became known) the job counts as late. */
  expectedWithinSeconds: number;
  stale: boolean;
}

export interface HealthReport {
  status: "ok" | "stale";
  stale: ScheduleJobName[];
  jobs: JobHealth[];
}

/**
 * A job is stale when its latest run's slot (succeeded or skipped; else the moment its
 * schedule became known) is older than its longest gap between slots, plus that run's
 * duration, plus a margin of a tenth of the gap (at least a minute).
 */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const now = deps.clock.now().getTime();
  const runs = new Map((await lastRuns(deps.db)).map((r) => [r.job, r]));
  const known = new Map((await knownSchedules(deps.db)).map((k) => [k.job, k.knownSince]));
  const jobs: JobHealth[] = deps.jobs.map((job) => {
    const cron = deps.schedule.jobs[job].cron;
    const period = expectedPeriodMs({ cron, timezone: deps.schedule.timezone });
    const last = runs.get(job);
    const reference = last?.slot ?? known.get(job) ?? new Date(now);
    const within = period + (last?.durationMs ?? 0) + Math.max(60_000, period / 10);
    return {
      job,
      cron,
      lastRunSlot: last ? last.slot.toISOString() : null,
      expectedWithinSeconds: Math.round(within / 1000),
      stale: now - reference.getTime() > within,
    };
  });
  const stale = jobs.filter((j) => j.stale).map((j) => j.job);
  return { status: stale.length > 0 ? "stale" : "ok", stale, jobs };
}

/** The metrics registry; every value is read from the ledger when scraped. */
export function createMetrics(deps: HealthDeps): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: "reclaim_" });
  const { db } = deps;

  new Gauge({
    name: "reclaim_job_last_success_timestamp_seconds",
    help: "When the job last finished successfully for some org (Unix time).",
    labelNames: ["job"],
    registers: [register],
    async collect() {
      this.reset();
      for (const r of await lastSuccesses(db)) {
        if (r.finishedAt) this.set({ job: r.job }, r.finishedAt.getTime() / 1000);
      }
    },
  });
  new Gauge({
    name: "reclaim_job_last_duration_seconds",
    help: "How long the job's last successful run took.",
    labelNames: ["job"],
    registers: [register],
    async collect() {
      this.reset();
      for (const r of await lastSuccesses(db)) {
        if (r.durationMs !== null) this.set({ job: r.job }, r.durationMs / 1000);
      }
    },
  });
  new Gauge({
    name: "reclaim_job_runs",
    help: "Runs in the ledger per job and status, across every replica.",
    labelNames: ["job", "status"],
    registers: [register],
    async collect() {
      this.reset();
      for (const r of await countsByStatus(db)) this.set({ job: r.job, status: r.status }, r.n);
    },
  });
  const perOrg = (name: string, help: string, job: ScheduleJobName, field: string): Gauge<"org"> =>
    new Gauge({
      name,
      help,
      labelNames: ["org"],
      registers: [register],
      async collect() {
        this.reset();
        for (const run of await lastFinishedPerOrg(db)) {
          const value = run.summary[field];
          // A failed run that never read the number has none: no sample, never a zero.
          if (run.job === job && typeof value === "number") this.set({ org: run.org }, value);
        }
      },
    });
  perOrg("reclaim_org_users", "Users read by the org's last crawl.", "crawl", "users");
  perOrg(
    "reclaim_org_dormant_seats",
    "Dormant seats in the org's last report.",
    "report",
    "dormantSeats",
  );
  perOrg("reclaim_org_api_calls", "Admin API calls of the org's last crawl.", "crawl", "apiCalls");
  perOrg(
    "reclaim_org_rate_limited",
    "429 answers the org's last crawl received.",
    "crawl",
    "rateLimited",
  );
  return register;
}

export interface HealthServer {
  /** e.g. `http://127.0.0.1:9464` */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `/healthz` (200 or 503, JSON) and `/metrics` (Prometheus text format).
 * @throws when the address cannot be listened on (in use, not local).
 */
export async function startHealthServer(
  deps: HealthDeps,
  listen: { host: string; port: number },
): Promise<HealthServer> {
  const register = createMetrics(deps);
  const server: Server = createServer((req, res) => {
    const route = (req.url ?? "/").split("?")[0];
    const answer = async () => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
      } else if (route === "/healthz") {
        const report = await checkHealth(deps);
        res
          .writeHead(report.status === "ok" ? 200 : 503, { "content-type": "application/json" })
          .end(`${JSON.stringify(report)}\n`);
      } else if (route === "/metrics") {
        const text = await register.metrics();
        res.writeHead(200, { "content-type": register.contentType }).end(text);
      } else {
        res.writeHead(404, { "content-type": "text/plain" }).end("try /healthz or /metrics\n");
      }
    };
    answer().catch((error: unknown) => {
      deps.log.error(`health endpoint ${route ?? ""} failed: ${errorMessage(error)}`);
      if (!res.headersSent) res.writeHead(503, { "content-type": "text/plain" });
      res.end(`unavailable: ${errorMessage(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * Parses `--listen`: `HOST:PORT`, `[IPv6]:PORT` or a bare port (then 127.0.0.1).
 * @returns null when the value is not of that form.
 */
export function parseListen(value: string): { host: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  if (!match) return null;
  const port = Number(match[3]);
  if (port > 65_535) return null;
  return { host: match[1] || match[2] || "127.0.0.1", port };
}
