/**
 * `reclaim policy plan|approve|apply|undo|audit`: reclaiming seats, dry run first. Output
 * formatting lives here; the work is in src/policy.
 */
import { userInfo } from "node:os";
import { Command } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import type { BuiltPlan } from "../../policy/plan/build-plan.ts";
import { planOrgs } from "../../policy/plan/plan-orgs.ts";
import { configFor, EXIT_FAILURE } from "../context.ts";

/** Who is acting: `--by`, else the OS user. */
export function actorOf(by: string | undefined): string {
  if (by !== undefined && by.trim() !== "") return by.trim();
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? "unknown";
  }
}

export function policyCommand(): Command {
  const policy = new Command("policy")
    .description("reclaim dormant seats safely: plan (dry run), approve, apply, undo, audit")
    .addHelpText(
      "after",
      `
Nothing changes in your org until a plan is approved and applied:
  reclaim policy plan            build a capped plan from the latest succeeded crawl (dry run)
  reclaim policy approve PLAN    record who approved it (warns users when policy.warnDays > 0)
  reclaim policy apply PLAN      make the writes, re-reading each user live first
  reclaim policy undo PLAN       restore exactly what the plan changed
  reclaim policy audit           every write, before and after
Rules, caps and exclusions live in the config file under "policy".`,
    );
  policy.addCommand(planCommand());
  return policy;
}

function planCommand(): Command {
  return new Command("plan")
    .description("build and store a plan from each org's latest succeeded crawl; changes nothing")
    .option("--org <id>", "only this org")
    .option("--json", "print the plan as JSON on stdout")
    .option("--out <dir>", "directory for the plan workbook and CSVs (default: the reports folder)")
    .option("--by <name>", "who made the plan (default: the OS user)")
    .addHelpText(
      "after",
      `
Reads only stored data, never the API. Refused (exit 1) when the org's latest crawl failed,
is incomplete, or finished longer ago than policy.maxDataAgeHours (default 48).
Each action names the user, the seat, the rule, the reason and the exact API calls it will
make. At most policy.maxActions actions (default 25) and policy.maxPercent of the billable
seats (default 5%) per plan; what the caps leave out is listed. Protected accounts (admins,
bots, new users, exclusions) never appear; IdP-managed access goes to a per-IdP-group
change list CSV instead. The plan is a dry run: see \`reclaim policy approve --help\`.`,
    )
    .action(
      async (
        opts: { org?: string; json?: boolean; out?: string; by?: string },
        command: Command,
      ) => {
        const config = configFor(command);
        const outcomes = await withRuntime(config, (runtime) =>
          planOrgs(
            { db: runtime.database.db, clock: runtime.clock, log: runtime.log },
            { policy: config.policy, report: config.report, outDir: opts.out ?? config.reportsDir },
            { ...(opts.org !== undefined ? { orgId: opts.org } : {}), actor: actorOf(opts.by) },
          ),
        );
        const plans = outcomes.flatMap((o) => (o.ok ? [o.plan] : []));
        for (const o of outcomes) if (!o.ok) console.error(`reclaim: ${o.refusal}`);
        if (opts.json) {
          const docs = plans.map(planJson);
          console.log(
            JSON.stringify(opts.org !== undefined && docs.length === 1 ? docs[0] : docs, null, 2),
          );
        } else {
          for (const p of plans) console.log(describePlan(p));
        }
        if (outcomes.some((o) => !o.ok)) process.exitCode = EXIT_FAILURE;
      },
    );
}

/** The plan as `--json` prints it (the documented fields first, then what else helps). */
export function planJson(p: BuiltPlan) {
  return {
    id: p.planId,
    orgId: p.orgId,
    crawlRunId: p.crawlRunId,
    dataAsOf: p.dataAsOf.toISOString(),
    actions: p.actions.map((a, i) => ({
      accountId: a.accountId,
      action: a.kind,
      product: a.productKey,
      rule: a.rule,
      reason: a.reason,
      seq: i + 1,
      email: a.email,
      resourceId: a.resourceId,
      daysIdle: a.detail.daysIdle,
      lastActive: a.detail.lastActive,
      billableVia: a.detail.billableVia,
      seats: a.seats,
      savingMonthly: a.savingMonthly,
      calls: a.calls,
    })),
    excluded: p.excluded,
    cut: p.cut,
    idpChanges: p.idpChanges,
    summary: p.summary,
    files: { workbook: p.workbookPath, csv: p.csvPath, idpChangeList: p.changeListPath },
  };
}

/** A few lines: what the plan would do, what it left out, and how to go on. */
export function describePlan(p: BuiltPlan): string {
  const s = p.summary;
  const org = s.orgName ? `${s.orgName} (${p.orgId})` : p.orgId;
  const lines = [
    `plan ${p.planId} for ${org} (dry run; data as of ${p.dataAsOf.toISOString()}, crawl run ${p.crawlRunId}):`,
    `  ${s.actions} actions freeing ${s.seats} seats, expected saving ${s.savingMonthly.toFixed(2)} ${s.currency}/month`,
    `  caps: ${s.maxActions} actions, ${s.maxPercent}% of ${s.billableSeats} billable seats = ${s.seatCap} seats; ${s.cut} left out by the caps`,
    `  ${s.excluded} left out by the rules (protected, in use, IdP-managed); ${s.idpChanges} changes for the IdP admin`,
  ];
  for (const a of p.actions.slice(0, 10))
    lines.push(`    ${a.kind} ${a.productKey} ${a.email ?? a.accountId} (${a.rule})`);
  if (p.actions.length > 10) lines.push(`    … ${p.actions.length - 10} more in the workbook`);
  lines.push(
    `  workbook: ${p.workbookPath}`,
    `  csv:      ${p.csvPath}`,
    `  idp list: ${p.changeListPath}`,
  );
  if (s.actions > 0)
    lines.push(
      `  next: reclaim policy approve ${p.planId}${s.warnDays > 0 ? ` (emails the users; apply after ${s.warnDays} days)` : ""}, then reclaim policy apply ${p.planId}`,
    );
  return lines.join("\n");
}
