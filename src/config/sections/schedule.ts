/**
 * Config file section `schedule`: when `reclaim schedule` runs each job. Each job is a cron
 * expression (five fields, or six with seconds first) read in an IANA timezone. The defaults
 * stay clear of 02:00–03:00 local time, where a spring-forward gap would swallow a slot.
 *
 * Environment overrides (for containers, where a file is awkward): RECLAIM_SCHEDULE_CRAWL,
 * RECLAIM_SCHEDULE_REPORT, RECLAIM_SCHEDULE_POLICY (cron expressions),
 * RECLAIM_SCHEDULE_TIMEZONE and RECLAIM_SCHEDULE_ENGINE.
 */
import { validate } from "node-cron";
import { z } from "zod";

export const scheduleJobNames = ["crawl", "report", "policy"] as const;
export type ScheduleJobName = (typeof scheduleJobNames)[number];

export const scheduleEngines = ["local", "pg-boss"] as const;
export type ScheduleEngine = (typeof scheduleEngines)[number];

/** Daily crawl at 05:00; report and email on Monday at 07:00, after it; policy at 08:00. */
export const DEFAULT_CRONS: Record<ScheduleJobName, string> = {
  crawl: "0 5 * * *",
  report: "0 7 * * 1",
  policy: "0 8 * * 1",
};

const cron = z.string().refine((v) => validate(v), {
  message: "is not a cron expression (five fields, or six with seconds first)",
});

const timezone = z.string().refine(isTimeZone, {
  message: "is not an IANA timezone (e.g. Europe/Berlin, UTC)",
});

const jobSchema = z
  .object({
    cron: cron.optional(),
    /** false: this job never runs on its own (`reclaim schedule --once JOB` still works). */
    enabled: z.boolean().default(true),
  })
  .strict();

export const scheduleSectionSchema = z
  .object({
    /** Default: the system's timezone. */
    timezone: timezone.optional(),
    engine: z.enum(scheduleEngines).default("local"),
    jobs: z
      .object({
        crawl: jobSchema.optional(),
        report: jobSchema.optional(),
        policy: jobSchema.optional(),
      })
      .strict()
      .default({}),
    /** A running job renews its claim this often (a third of it); a claim not renewed for this long is abandoned. */
    leaseSeconds: z.number().int().min(5).max(3600).default(120),
    /** After SIGTERM, how long the running job may take to stop before the process exits anyway. */
    shutdownGraceSeconds: z.number().int().min(1).max(3600).default(30),
  })
  .strict()
  .default({ engine: "local", jobs: {}, leaseSeconds: 120, shutdownGraceSeconds: 30 });

export interface ScheduledJobConfig {
  cron: string;
  enabled: boolean;
}

export interface ScheduleConfig {
  timezone: string;
  engine: ScheduleEngine;
  jobs: Record<ScheduleJobName, ScheduledJobConfig>;
  leaseSeconds: number;
  shutdownGraceSeconds: number;
}

const ENV_CRON: Record<ScheduleJobName, string> = {
  crawl: "RECLAIM_SCHEDULE_CRAWL",
  report: "RECLAIM_SCHEDULE_REPORT",
  policy: "RECLAIM_SCHEDULE_POLICY",
};

/**
 * The effective schedule: the file's section with defaults, then the environment overrides.
 * @param problems receives one line per bad environment value, naming the variable
 */
export function resolveSchedule(
  section: z.output<typeof scheduleSectionSchema>,
  env: Record<string, string | undefined>,
  problems: string[],
): ScheduleConfig {
  const check = <T>(name: string, schema: z.ZodType<T>, fallback: T): T => {
    const value = env[name];
    if (value === undefined) return fallback;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    problems.push(`${name}: "${value}" ${parsed.error.issues[0]?.message ?? "is invalid"}`);
    return fallback;
  };
  const jobs = {} as Record<ScheduleJobName, ScheduledJobConfig>;
  for (const name of scheduleJobNames) {
    const fromFile = section.jobs[name];
    jobs[name] = {
      cron: check(ENV_CRON[name], cron, fromFile?.cron ?? DEFAULT_CRONS[name]),
      enabled: fromFile?.enabled ?? true,
    };
  }
  return {
    timezone: check(
      "RECLAIM_SCHEDULE_TIMEZONE",
      timezone,
      section.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    ),
    engine: check("RECLAIM_SCHEDULE_ENGINE", z.enum(scheduleEngines), section.engine),
    jobs,
    leaseSeconds: section.leaseSeconds,
    shutdownGraceSeconds: section.shutdownGraceSeconds,
  };
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
