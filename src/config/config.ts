/**
 * Configuration, read once: environment, an optional JSON config file, then command-line
 * flags (each overriding the one before). Everything is validated together so a bad setup
 * fails with one message listing every problem. Nothing else in Reclaim reads process.env.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { crawlSectionSchema, type CrawlConfig } from "./sections/crawl.ts";
import { formatMailbox, parseMailboxList, uniqueByAddress } from "../email/address.ts";
import { emailAddress, emailSectionSchema, type EmailConfig } from "./sections/email.ts";
import { reportSectionSchema, type ReportConfig } from "./sections/report.ts";
import { policySectionSchema, type PolicyConfig } from "./sections/policy.ts";
import { ConfigError } from "./errors.ts";
import {
  resolveSchedule,
  scheduleSectionSchema,
  type ScheduleConfig,
} from "./sections/schedule.ts";
import { describeDatabaseUrl, redactSecret, redactUrl } from "./redact.ts";

export const DEFAULT_API_URL = "https://api.atlassian.com";
export const DEFAULT_CONFIG_FILE = "reclaim.config.json";

export interface OrgConfig {
  /** A label for logs and file names; defaults to the org id. */
  name?: string | undefined;
  /** Discovered with GET /admin/v1/orgs when absent. */
  orgId?: string | undefined;
  apiKey: string;
  apiUrl: string;
}

export interface Config {
  databaseUrl?: string | undefined;
  dataDir: string;
  reportsDir: string;
  /** Orgs to crawl; empty when no API key is configured (the demo brings its own). */
  orgs: OrgConfig[];
  smtpUrl?: string | undefined;
  report: ReportConfig;
  email: EmailConfig;
  crawl: CrawlConfig;
  schedule: ScheduleConfig;
  policy: PolicyConfig;
  /** The config file that was read, if any. */
  configFile?: string | undefined;
}

/** Values given on the command line; they win over the file and the environment. */
export interface ConfigFlags {
  config?: string | undefined;
  dataDir?: string | undefined;
  reportsDir?: string | undefined;
  databaseUrl?: string | undefined;
  strategy?: string | undefined;
}

export { ConfigError } from "./errors.ts";

const urlString = (what: string, protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `is not a valid ${what} URL (${protocols.join(" or ")})` },
  );

const orgFileSchema = z
  .object({
    name: z.string().min(1).optional(),
    orgId: z.string().min(1).optional(),
    /** Prefer apiKeyEnv: keeps the secret out of the file. */
    apiKey: z.string().min(1).optional(),
    apiKeyEnv: z.string().min(1).optional(),
    apiUrl: urlString("API", ["https:", "http:"]).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    orgs: z.array(orgFileSchema).optional(),
    report: reportSectionSchema,
    email: emailSectionSchema,
    crawl: crawlSectionSchema,
    schedule: scheduleSectionSchema,
    policy: policySectionSchema,
  })
  .strict();

const envSchema = z.object({
  DATABASE_URL: urlString("Postgres", ["postgres:", "postgresql:"]).optional(),
  RECLAIM_DATA_DIR: z.string().min(1).default("./data"),
  RECLAIM_REPORTS_DIR: z.string().min(1).default("./reports"),
  ATLASSIAN_API_KEY: z.string().min(1).optional(),
  ATLASSIAN_ORG_ID: z.string().min(1).optional(),
  ATLASSIAN_API_URL: urlString("API", ["https:", "http:"]).optional(),
  SMTP_URL: urlString("SMTP", ["smtp:", "smtps:"]).optional(),
  REPORT_TO: z.string().optional(),
  REPORT_FROM: emailAddress.optional(),
  RECLAIM_CONFIG: z.string().optional(),
});

type Env = Record<string, string | undefined>;

/**
 * Loads and validates the configuration.
 * @param env usually process.env (empty strings count as unset)
 * @throws ConfigError listing every problem
 */
export function loadConfig(env: Env, flags: ConfigFlags = {}, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const cleanEnv = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""),
  );
  const envResult = envSchema.safeParse(cleanEnv);
  if (!envResult.success) problems.push(...formatIssues(envResult.error, ""));
  const e = envResult.success ? envResult.data : envSchema.partial().parse({});

  const { file, fileProblems } = readConfigFile(flags.config ?? e.RECLAIM_CONFIG, cwd);
  problems.push(...fileProblems);
  const fileResult = fileSchema.safeParse(file ?? {});
  if (!fileResult.success) problems.push(...formatIssues(fileResult.error, "config file: "));

  const reportToList = parseMailboxList(cleanEnv.REPORT_TO ?? "");
  problems.push(...reportToList.problems.map((p) => `REPORT_TO: ${p}`));
  const reportTo = reportToList.mailboxes.map(formatMailbox);

  const strategy = flags.strategy;
  if (strategy !== undefined && !["auto", "bulk", "per-user"].includes(strategy))
    problems.push(`--strategy: "${strategy}" must be one of auto, bulk, per-user`);

  const databaseUrl = flags.databaseUrl ?? e.DATABASE_URL;
  if (
    flags.databaseUrl &&
    !urlString("Postgres", ["postgres:", "postgresql:"]).safeParse(flags.databaseUrl).success
  )
    problems.push(
      `--database-url: ${describeDatabaseUrl(flags.databaseUrl)} is not a valid Postgres URL`,
    );

  const orgs: OrgConfig[] = [];
  const apiUrl = e.ATLASSIAN_API_URL ?? DEFAULT_API_URL;
  if (fileResult.success && fileResult.data.orgs?.length) {
    fileResult.data.orgs.forEach((o, i) => {
      const apiKey = o.apiKey ?? (o.apiKeyEnv ? cleanEnv[o.apiKeyEnv] : undefined);
      if (!apiKey) {
        problems.push(
          `config file: orgs[${i}]: needs apiKey or apiKeyEnv naming a set environment variable` +
            (o.apiKeyEnv ? ` (${o.apiKeyEnv} is not set)` : ""),
        );
        return;
      }
      orgs.push({ name: o.name, orgId: o.orgId, apiKey, apiUrl: o.apiUrl ?? apiUrl });
    });
  } else if (e.ATLASSIAN_API_KEY) {
    orgs.push({ orgId: e.ATLASSIAN_ORG_ID, apiKey: e.ATLASSIAN_API_KEY, apiUrl });
  }

  const f = fileResult.success ? fileResult.data : fileSchema.parse({});
  const schedule = resolveSchedule(f.schedule, cleanEnv, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    databaseUrl,
    dataDir: flags.dataDir ?? e.RECLAIM_DATA_DIR ?? "./data",
    reportsDir: flags.reportsDir ?? e.RECLAIM_REPORTS_DIR ?? "./reports",
    orgs,
    smtpUrl: e.SMTP_URL,
    report: f.report,
    email: {
      ...f.email,
      to: uniqueByAddress([...reportTo, ...f.email.to]),
      from: e.REPORT_FROM ?? f.email.from,
    },
    crawl: {
      ...f.crawl,
      strategy: (strategy as CrawlConfig["strategy"] | undefined) ?? f.crawl.strategy,
    },
    schedule,
    policy: f.policy,
    configFile:
      file === undefined
        ? undefined
        : path.resolve(cwd, flags.config ?? e.RECLAIM_CONFIG ?? DEFAULT_CONFIG_FILE),
  };
}

function readConfigFile(
  given: string | undefined,
  cwd: string,
): { file: unknown; fileProblems: string[] } {
  const target = path.resolve(cwd, given ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(target)) {
    return {
      file: undefined,
      fileProblems: given ? [`config file ${target} does not exist`] : [],
    };
  }
  try {
    return { file: JSON.parse(readFileSync(target, "utf8")) as unknown, fileProblems: [] };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { file: undefined, fileProblems: [`config file ${target} is not valid JSON: ${why}`] };
  }
}

function formatIssues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join(".") : "(root)";
    return `${prefix}${where}: ${issue.message}`;
  });
}

/** The configuration as it may be printed: every secret masked. */
export function redactConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl ? describeDatabaseUrl(config.databaseUrl) : undefined,
    smtpUrl: config.smtpUrl ? redactUrl(config.smtpUrl) : undefined,
    orgs: config.orgs.map((o) => ({ ...o, apiKey: redactSecret(o.apiKey) })),
  };
}
