/**
 * `reclaim` — the command-line entry. Thin: parse, dispatch to one command file, map
 * errors to exit codes (2 for usage/config, 1 for failed work). Output formatting lives in
 * the command files.
 *
 * Only the command that runs is loaded (each command file pulls in what it needs: exceljs,
 * the database drivers, the simulator…), so `reclaim --help` starts in a blink.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { isConfigError } from "../config/errors.ts";
import { cliName, EXIT_FAILURE, EXIT_USAGE, isUsageError, withCliName } from "./context.ts";

/** Every command: its name, a one-line summary for the listing, and how to load it. */
const COMMANDS: { name: string; summary: string; load: () => Promise<Command> }[] = [
  {
    name: "demo",
    summary: "try everything on a simulated org (what `npm start` runs)",
    load: async () => (await import("./commands/demo.ts")).demoCommand(),
  },
  {
    name: "run",
    summary: "the weekly job once: crawl, report, email",
    load: async () => (await import("./commands/run.ts")).runCommand(),
  },
  {
    name: "crawl",
    summary: "read every user's last activity per product into the database",
    load: async () => (await import("./commands/crawl.ts")).crawlCommand(),
  },
  {
    name: "report",
    summary: "build the dormant-account workbook from stored data",
    load: async () => (await import("./commands/report.ts")).reportCommand(),
  },
  {
    name: "email",
    summary: "send (or write to the outbox) this week's report email",
    load: async () => (await import("./commands/email.ts")).emailCommand(),
  },
  {
    name: "schedule",
    summary: "run as a daemon: crawl, report and email on their schedules",
    load: async () => (await import("./commands/schedule.ts")).scheduleCommand(),
  },
  {
    name: "simulator",
    summary: "serve a simulated Atlassian Admin API org over HTTP",
    load: async () => (await import("./commands/simulator.ts")).simulatorCommand(),
  },
  {
    name: "migrate",
    summary: "create or update the database tables",
    load: async () => (await import("./commands/migrate.ts")).migrateCommand(),
  },
  {
    name: "config",
    summary: "show the configuration Reclaim will use, secrets masked",
    load: async () => (await import("./commands/config.ts")).configCommand(),
  },
  {
    name: "policy",
    summary: "reclaim dormant seats safely: plan, approve, apply, undo, audit",
    load: async () => (await import("./commands/policy.ts")).policyCommand(),
  },
];

const ENVIRONMENT = `
Environment (also read from a .env file in the current folder; real variables win):
  ATLASSIAN_API_KEY    organization API key, created WITHOUT scopes (needed by crawl/run)
  ATLASSIAN_ORG_ID     organization id (default: discovered when the key sees one org)
  ATLASSIAN_API_URL    Admin API base URL (default https://api.atlassian.com)
  DATABASE_URL         Postgres connection string (default: embedded PGlite)
  RECLAIM_DATA_DIR     embedded database folder (default ./data)
  RECLAIM_REPORTS_DIR  where workbooks and the outbox go (default ./reports)
  RECLAIM_CONFIG       JSON config file (default ./reclaim.config.json when present)
  SMTP_URL             smtp://user:pass@host:587 (default: .eml files in reports/outbox)
  REPORT_TO            admins' addresses, comma-separated
  REPORT_FROM          sender address`;

function version(): string {
  // The package.json next to src/ (running the TypeScript) or next to dist/ (the bundle).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "reclaim" && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up
    }
    dir = path.dirname(dir);
  }
  return "unknown";
}

/** The command named on the command line, skipping global options and their values. */
function commandNamed(argv: readonly string[]): string | undefined {
  const withValue = new Set(["--config", "--data-dir", "--reports-dir"]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (withValue.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return arg === "help" ? argv[i + 1] : arg;
  }
  return undefined;
}

const program = new Command("reclaim")
  .description("Find and reclaim unused Atlassian Cloud seats.")
  .version(version(), "-V, --version", "print the version")
  .addHelpText(
    "after",
    withCliName(`
Reclaim crawls every user's last activity per product into Postgres, builds
dormant-account workbooks and emails them weekly.

First time? Run \`reclaim demo\` (or \`npm start\`): a simulated org, an embedded
database, no key and no setup. For a real org, set ATLASSIAN_API_KEY to an
organization API key created WITHOUT scopes (admin.atlassian.com > Settings >
API keys), then run \`reclaim run\`. Every command has --help.
${ENVIRONMENT}`),
  )
  .option(
    "--config <file>",
    "JSON config file (default ./reclaim.config.json when present; env RECLAIM_CONFIG)",
  )
  .option(
    "--data-dir <dir>",
    "embedded database folder when DATABASE_URL is unset (env RECLAIM_DATA_DIR, default ./data)",
  )
  .option(
    "--reports-dir <dir>",
    "where workbooks and the outbox go (env RECLAIM_REPORTS_DIR, default ./reports)",
  )
  .configureOutput({
    writeOut: (s) => process.stdout.write(withCliName(s)),
    writeErr: (s) => process.stderr.write(withCliName(s)),
  })
  .showHelpAfterError(`(run \`${cliName()} --help\` for usage)`)
  .exitOverride();

try {
  const named = commandNamed(process.argv.slice(2));
  const wanted = COMMANDS.find((c) => c.name === named);
  for (const c of COMMANDS) {
    // The command that runs is loaded in full; the others only need a line in the listing.
    program.addCommand(c === wanted ? await c.load() : new Command(c.name).summary(c.summary));
  }
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end here with exit code 0; usage errors were already printed.
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  const message = withCliName(error instanceof Error ? error.message : String(error));
  console.error(`reclaim: ${message}`);
  if (isConfigError(error) || isUsageError(error)) return EXIT_USAGE;
  if (process.env.RECLAIM_DEBUG && error instanceof Error) console.error(error.stack);
  return EXIT_FAILURE;
}
