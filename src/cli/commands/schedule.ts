import { Command, Option } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import type { Config } from "../../config/config.ts";
import { scheduleJobNames, type ScheduleJobName } from "../../config/sections/schedule.ts";
import { BossSetupError } from "../../schedule/boss.ts";
import { nextSlots } from "../../schedule/cron.ts";
import {
  checkScheduleSetup,
  scheduledOrgs,
  ScheduleSetupError,
  startDaemon,
} from "../../schedule/daemon.ts";
import { parseListen } from "../../schedule/health.ts";
import { scheduledJobs } from "../../schedule/jobs.ts";
import { Scheduler, type SlotOutcome } from "../../schedule/scheduler.ts";
import { configFor, EXIT_FAILURE, UsageError } from "../context.ts";

const WHAT: Record<ScheduleJobName, string> = {
  crawl: "crawl every org",
  report: "build each org's report and send the weekly email",
  policy: "plan seat reclaims (with policy.auto: approve and apply them)",
};

export function scheduleCommand(): Command {
  return new Command("schedule")
    .description("run the jobs on their schedule: a daemon (crawl daily, report + email weekly)")
    .option("--print", "show each job's next five run times (local and UTC) and exit")
    .addOption(
      new Option(
        "--once <job>",
        "run one job now, for every org, through the ledger, and exit",
      ).choices(scheduleJobNames),
    )
    .option(
      "--listen <host:port>",
      "serve /healthz and /metrics, e.g. 127.0.0.1:9464 (off by default)",
    )
    .addHelpText(
      "after",
      `
Jobs and defaults (config file "schedule", or RECLAIM_SCHEDULE_CRAWL / _REPORT / _POLICY):
  crawl   0 5 * * *   every day at 05:00
  report  0 7 * * 1   Mondays at 07:00: the workbook, then the weekly email
  policy  0 8 * * 1   Mondays at 08:00 (a no-op until the policy step exists)
Cron has five fields, or six with seconds first; times are read in schedule.timezone
(RECLAIM_SCHEDULE_TIMEZONE; default the system's).

Every (job, org, slot) is claimed in the database before it runs, so restarts, overlapping
ticks and a second replica never run it twice; a slot that comes while the previous run of
the job is still going is recorded as skipped. On start, a job whose last slot was missed
while no scheduler ran runs once (not once per missed slot). SIGTERM or SIGINT stops the
running job at its next checkpoint (its row becomes "interrupted" and the next run resumes
it) and exits 0; after schedule.shutdownGraceSeconds (default 30) it exits anyway.

With the embedded database the data dir is held for as long as this runs: other commands
are refused until it stops (use DATABASE_URL to run both). schedule.engine "pg-boss" (with
DATABASE_URL; run \`reclaim migrate\` first) spreads the work over replicas through pg-boss.`,
    )
    .action(
      async (
        opts: { print?: boolean; once?: ScheduleJobName; listen?: string },
        command: Command,
      ) => {
        const config = configFor(command);
        const listen = opts.listen === undefined ? undefined : parseListen(opts.listen);
        if (listen === null)
          throw new UsageError(
            `--listen must be HOST:PORT (e.g. 127.0.0.1:9464), got "${opts.listen}"`,
          );
        if (opts.print) {
          printSchedule(config);
          return;
        }
        try {
          checkScheduleSetup({ config });
          if (opts.once) await runOnce(config, opts.once);
          else await runDaemon(config, listen);
        } catch (error) {
          if (error instanceof ScheduleSetupError || error instanceof BossSetupError)
            throw new UsageError(error.message);
          throw error;
        }
      },
    );
}

async function runOnce(config: Config, job: ScheduleJobName): Promise<void> {
  const outcomes = await withRuntime(config, async (runtime) => {
    const scheduler = new Scheduler({
      db: runtime.database.db,
      clock: runtime.clock,
      log: runtime.log,
      schedule: config.schedule,
      orgs: scheduledOrgs(runtime),
      jobs: scheduledJobs(runtime),
    });
    const stop = (signal: NodeJS.Signals) => {
      if (scheduler.stopping) process.exit(130);
      process.stderr.write(`\n${signal}: stopping at the next checkpoint (again to exit now)…\n`);
      void scheduler.stop(`interrupted by ${signal}`);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    try {
      return await scheduler.runOnce(job);
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await scheduler.stop("done");
    }
  });
  for (const o of outcomes) console.log(describeOutcome(o));
  if (outcomes.some((o) => o.status === "failed" || o.status === "interrupted"))
    process.exitCode = EXIT_FAILURE;
}

async function runDaemon(
  config: Config,
  listen: { host: string; port: number } | undefined,
): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const daemon = await startDaemon(runtime, { listen });
    if (daemon.health) console.log(`health and metrics at ${daemon.health.url}`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    const graceMs = config.schedule.shutdownGraceSeconds * 1000;
    // The backstop: a job that ignores its abort must not keep the process alive forever.
    const backstop = setTimeout(() => {
      runtime.log.error(
        `did not stop within ${config.schedule.shutdownGraceSeconds} s (schedule.shutdownGraceSeconds); exiting now, the next start marks the run interrupted`,
      );
      process.exit(EXIT_FAILURE);
    }, graceMs);
    backstop.unref();
    const again = () => process.exit(130);
    process.once("SIGTERM", again);
    process.once("SIGINT", again);
    await daemon.stop(`received ${signal}`);
    await daemon.caughtUp.catch(() => undefined);
  });
}

/** Each job's cron and its next five slots, in the schedule's timezone and in UTC. */
export function printSchedule(config: Config): void {
  const { timezone, engine, jobs } = config.schedule;
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  });
  const local = (d: Date): string => {
    const p = Object.fromEntries(format.formatToParts(d).map((x) => [x.type, x.value]));
    return `${p.weekday} ${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
  };
  console.log(`timezone ${timezone}, engine ${engine}`);
  for (const job of scheduleJobNames) {
    const { cron, enabled } = jobs[job];
    console.log(
      `\n${job}  "${cron}"  ${WHAT[job]}${enabled ? "" : "  (disabled: runs only with --once)"}`,
    );
    if (!enabled) continue;
    for (const slot of nextSlots({ cron, timezone }, 5)) {
      console.log(`  ${local(slot).padEnd(32)}${slot.toISOString().replace(".000Z", "Z")}`);
    }
  }
}

function describeOutcome(o: SlotOutcome): string {
  const head = `${o.job} of ${o.org} (slot ${o.slot.toISOString()})`;
  switch (o.status) {
    case "not-claimed":
      return `${head}: not run here: already ${o.existing ?? "claimed"}`;
    case "succeeded":
    case "skipped":
      return `${head} ${o.status}${describeSummary(o.summary)}`;
    default:
      return `${head} ${o.status.toUpperCase()}: ${o.error ?? ""}`;
  }
}

function describeSummary(summary: Record<string, unknown> | undefined): string {
  if (!summary) return "";
  const parts = Object.entries(summary)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== "object")
    .map(([k, v]) => `${k} ${String(v as string | number | boolean)}`);
  return parts.length > 0 ? `: ${parts.join(", ")}` : "";
}
