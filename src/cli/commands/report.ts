import { Command } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import type { BuiltReport } from "../../reports/build-report.ts";
import { buildReports } from "../../reports/build-report.ts";
import { preflight } from "../../config/preflight.ts";
import { configFor, parsePositiveInt } from "../context.ts";
import { createLogger } from "../../shared/log.ts";
import { progressPrinter } from "../progress.ts";

export function reportCommand(): Command {
  return new Command("report")
    .description(
      "build the dormant-account workbook (and CSV) from each org's latest succeeded crawl",
    )
    .option("--out <dir>", "directory for the workbook and CSV (default: config reportsDir)")
    .option("--org <id>", "only this org")
    .option(
      "--run <id>",
      "rebuild the report of this past succeeded crawl run from the stored history",
      parsePositiveInt("--run"),
    )
    .addHelpText(
      "after",
      `
Reads only stored data, never the API: run \`reclaim crawl\` first. A report is built only
from a crawl that read every user (status succeeded). With --run, the report is rebuilt as
of that crawl (users, access and activity from the history; group memberships as stored
now) and named ...-run<id>.xlsx; it is not recorded as this week's report.`,
    )
    .action(async (opts: { out?: string; org?: string; run?: number }, command: Command) => {
      const config = configFor(command);
      preflight(config, ["reportsDir", "dataDir"]);
      const progress = progressPrinter();
      const log = createLogger({ write: progress.writeLine });
      const built = await withRuntime(
        config,
        (runtime) =>
          buildReports(runtime, {
            ...(opts.out !== undefined ? { outDir: opts.out } : {}),
            ...(opts.org !== undefined ? { orgId: opts.org } : {}),
            ...(opts.run !== undefined ? { runId: opts.run } : {}),
            onProgress: progress.update,
          }),
        { log },
      ).finally(progress.end);
      for (const r of built) {
        console.log(r.workbookPath);
        console.log(r.csvPath);
        console.log(r.financeWorkbookPath);
        console.log(describeReport(r));
      }
    });
}

/** One line: who, how many dormant users and seats, and what reclaiming them would save. */
export function describeReport(r: BuiltReport): string {
  const s = r.summary;
  const org = s.orgName ? `${s.orgName} (${s.orgId})` : s.orgId;
  const which = r.reportId === null ? "rebuilt from history" : `report ${r.reportId}`;
  return `${which} for ${org}: ${s.totals.dormantUsers} dormant users, ${s.totals.dormantSeats}/${s.totals.billableSeats} seats dormant, projected savings ${s.savings.projectedMonthly.toFixed(2)} ${s.currency}/month (${s.savings.projectedAnnual.toFixed(2)}/year); data as of ${s.dataAsOf}`;
}
