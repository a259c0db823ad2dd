/**
 * `reclaim policy plan|approve|apply|undo|audit`: reclaiming seats, dry run first. Output
 * formatting lives here; the work is in src/policy.
 */
import { userInfo } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { withRuntime } from "../../app/runtime.ts";
import { getAction } from "../../db/repositories/policy-apply.repository.ts";
import { getPlan } from "../../db/repositories/policy-plans.repository.ts";
import { createMailTransport } from "../../email/transport.ts";
import { applyPlan, type ApplyResult } from "../../policy/apply/apply-plan.ts";
import { atlassianPolicyApi } from "../../policy/apply/atlassian-policy-api.ts";
import { undoPlan, type UndoResult } from "../../policy/apply/undo-plan.ts";
import { approvePlan, type Approval } from "../../policy/approve.ts";
import { listAudit, type AuditRecord } from "../../policy/audit.ts";
import { PolicyRefusal } from "../../policy/errors.ts";
import { clientForOrg } from "../../policy/org-client.ts";
import type { BuiltPlan } from "../../policy/plan/build-plan.ts";
import { planOrgs } from "../../policy/plan/plan-orgs.ts";
import { csvLine } from "../../reports/csv.ts";
import {
  configFor,
  EXIT_FAILURE,
  parsePositiveInt,
  untilInterrupted,
  UsageError,
} from "../context.ts";
import { withCliName } from "../errors.ts";
import { progressPrinter } from "../progress.ts";

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
  policy.addCommand(approveCommand());
  policy.addCommand(applyCommand());
  policy.addCommand(undoCommand());
  policy.addCommand(auditCommand());
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
      withCliName(
        `  next: \`reclaim policy approve ${p.planId}\`${s.warnDays > 0 ? ` (emails the users; apply after ${s.warnDays} days)` : ""}, then \`reclaim policy apply ${p.planId}\``,
      ),
    );
  return lines.join("\n");
}

function approveCommand(): Command {
  return new Command("approve")
    .description(
      "record the approval of a plan (who and when); warns its users when policy.warnDays > 0",
    )
    .argument("<plan>", "plan id", parsePositiveInt("PLAN"))
    .option("--by <name>", "who approves (default: the OS user)")
    .addHelpText(
      "after",
      `
Approval is a step of its own, recorded with the plan: \`apply\` refuses a plan nobody
approved. With policy.warnDays > 0 (default 7) every user in the plan gets one email now
(SMTP_URL, or .eml files in reports/outbox/) naming the product, their last activity, the
date of the action and whom to contact (policy.warning.contact); the plan can be applied
only after that date, and users active in the meantime are dropped from it.`,
    )
    .action(async (planId: number, opts: { by?: string }, command: Command) => {
      const config = configFor(command);
      const approval = await withRuntime(config, async (runtime) => {
        const transport = createMailTransport({
          smtpUrl: config.smtpUrl,
          smtp: config.email.smtp,
          outboxDir: path.join(config.reportsDir, "outbox"),
        });
        try {
          return await approvePlan(
            { db: runtime.database.db, clock: runtime.clock, log: runtime.log, transport },
            { policy: config.policy, from: config.email.from },
            { planId, by: actorOf(opts.by), kind: "manual" },
          );
        } finally {
          transport.close();
        }
      });
      console.log(describeApproval(approval));
      if (approval.warnings.some((w) => w.status === "failed")) process.exitCode = EXIT_FAILURE;
    });
}

export function describeApproval(a: Approval): string {
  const lines = [
    `plan ${a.planId} approved by ${a.approvedBy} at ${a.approvedAt.toISOString()} (${a.approval})`,
  ];
  if (a.warnUntil === null)
    lines.push(withCliName(`  no warning period: apply with \`reclaim policy apply ${a.planId}\``));
  else {
    const sent = a.warnings.filter((w) => w.status === "sent" || w.status === "written").length;
    lines.push(
      withCliName(
        `  warned ${sent} of ${a.warnings.length} users; apply on or after ${a.warnUntil.toISOString()} with \`reclaim policy apply ${a.planId}\``,
      ),
    );
    for (const w of a.warnings.filter((x) => x.status === "failed" || x.status === "skipped"))
      lines.push(`  warning to ${w.recipient ?? w.accountId} ${w.status}: ${w.detail ?? ""}`);
  }
  return lines.join("\n");
}

function applyCommand(): Command {
  return new Command("apply")
    .description("make the writes of an approved plan, re-reading each user live first")
    .argument("<plan>", "plan id", parsePositiveInt("PLAN"))
    .option("--by <name>", "who applies, for the audit (default: the OS user)")
    .option("--retry-failed", "try the actions that failed in an earlier run again")
    .addHelpText(
      "after",
      `
Refused (exit 1) for a plan that is not approved, before the end of its warning period,
when the org's latest crawl is stale (policy.maxDataAgeHours), incomplete or failed, and
while another apply or undo of the org runs (here or on another machine).
Users a later crawl saw active are dropped. Right before acting, each user's last-active
dates and role assignments are read live: anyone active since the crawl, or whose access
changed, is skipped with the reason. Each action ends done, skipped (why) or failed (the
API's answer); the run stops after policy.stopAfterFailures failures. Every write is
audited before and after (\`reclaim policy audit\`). Running it again does nothing new;
a run that was killed resumes without repeating a write.`,
    )
    .action(
      async (planId: number, opts: { by?: string; retryFailed?: boolean }, command: Command) => {
        const config = configFor(command);
        const result = await withRuntime(config, async (runtime) => {
          const plan = await getPlan(runtime.database.db, planId);
          if (plan === undefined)
            throw new PolicyRefusal(`there is no plan ${planId}: see \`reclaim policy plan\``);
          const client = await clientForOrg(runtime.clients, plan.org_id);
          const progress = progressPrinter();
          try {
            return await untilInterrupted((signal) =>
              applyPlan(
                {
                  db: runtime.database.db,
                  api: atlassianPolicyApi(client, plan.org_id),
                  clock: runtime.clock,
                  log: runtime.log,
                },
                {
                  planId,
                  actor: actorOf(opts.by),
                  policy: config.policy,
                  retryFailed: opts.retryFailed ?? false,
                  signal,
                  onProgress: (p) =>
                    progress.update({
                      orgId: plan.org_id,
                      phase: `apply plan ${p.planId}`,
                      done: p.done,
                      total: p.total,
                    }),
                },
              ),
            );
          } finally {
            progress.end();
          }
        });
        console.log(describeApply(result));
        if (result.stopped !== undefined || result.outcomes.some((o) => o.state === "failed"))
          process.exitCode = EXIT_FAILURE;
      },
    );
}

export function describeApply(r: ApplyResult): string {
  const lines = r.outcomes.map(
    (o) =>
      `  ${o.state.padEnd(8)} ${o.kind} ${o.productKey} ${o.accountId}${o.outcome ? `: ${o.outcome}` : ""}`,
  );
  const counts = Object.entries(r.counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  lines.unshift(
    `plan ${r.planId} (${r.orgId}): ${r.status}; ${r.writes} writes this run; actions: ${counts || "none"}` +
      (r.outcomes.length === 0 ? "; nothing left to do" : ""),
  );
  if (r.stopped !== undefined) lines.push(`  ${r.stopped}`);
  return lines.join("\n");
}

function undoCommand(): Command {
  return new Command("undo")
    .description("restore exactly what a plan (or one action) changed")
    .argument("[plan]", "plan id", parsePositiveInt("PLAN"))
    .option("--action <id>", "undo only this action", parsePositiveInt("--action"))
    .option("--by <name>", "who undoes, for the audit (default: the OS user)")
    .addHelpText(
      "after",
      `
Re-adds removed group memberships, re-assigns revoked direct roles (v1 roles/assign),
restores suspended users and enables deactivated accounts — only the writes the plan made,
in reverse order, each audited like any write. A licence-limit answer (the product has no
free seat to give back) is reported on the action and exits 1: free a seat and run undo
again. Undoing what is already undone does nothing.`,
    )
    .action(
      async (
        planArg: number | undefined,
        opts: { action?: number; by?: string },
        command: Command,
      ) => {
        if (planArg === undefined && opts.action === undefined)
          throw new UsageError("name a plan (reclaim policy undo PLAN) or an action (--action ID)");
        const config = configFor(command);
        const result = await withRuntime(config, async (runtime) => {
          const db = runtime.database.db;
          let planId = planArg;
          if (planId === undefined) {
            const action = await getAction(db, opts.action!);
            if (action === undefined) throw new PolicyRefusal(`there is no action ${opts.action}`);
            planId = Number(action.plan_id);
          }
          const plan = await getPlan(db, planId);
          if (plan === undefined) throw new PolicyRefusal(`there is no plan ${planId}`);
          const client = await clientForOrg(runtime.clients, plan.org_id);
          return untilInterrupted((signal) =>
            undoPlan(
              {
                db,
                api: atlassianPolicyApi(client, plan.org_id),
                clock: runtime.clock,
                log: runtime.log,
              },
              {
                planId,
                ...(opts.action !== undefined ? { actionId: opts.action } : {}),
                actor: actorOf(opts.by),
                signal,
              },
            ),
          );
        });
        console.log(describeUndo(result));
        if (result.outcomes.some((o) => o.state !== "undone")) process.exitCode = EXIT_FAILURE;
      },
    );
}

export function describeUndo(r: UndoResult): string {
  const lines = r.outcomes.map(
    (o) =>
      `  ${o.state.padEnd(11)} ${o.kind} ${o.productKey} ${o.accountId}${o.outcome ? `: ${o.outcome}` : ""}`,
  );
  lines.unshift(
    `plan ${r.planId} (${r.orgId}): ${r.writes} writes this run; ${r.undone ? "the plan is undone" : r.outcomes.length === 0 ? "nothing to undo" : "not everything is undone yet"}`,
  );
  return lines.join("\n");
}

function auditCommand(): Command {
  return new Command("audit")
    .description("print the audit log: every write, before and after")
    .option("--plan <id>", "only this plan", parsePositiveInt("--plan"))
    .option("--csv", "as CSV, with request and response bodies and the states before/after")
    .addHelpText(
      "after",
      `
Each write made by apply or undo has a "before" row (actor, plan, rule, target, the request:
method, path and body, the state read before) written before it is sent, and an "after" row
(the response status and body, the state read after, the outcome). The API key is never
part of it.`,
    )
    .action(async (opts: { plan?: number; csv?: boolean }, command: Command) => {
      const config = configFor(command);
      const rows = await withRuntime(config, (runtime) =>
        listAudit(runtime.database.db, opts.plan),
      );
      if (opts.csv) {
        process.stdout.write(csvLine(AUDIT_HEADERS));
        for (const r of rows) process.stdout.write(csvLine(auditCells(r)));
        return;
      }
      if (rows.length === 0) console.log("no writes recorded");
      for (const r of rows) console.log(describeAudit(r));
    });
}

const AUDIT_HEADERS = [
  "audit_id",
  "at",
  "org_id",
  "plan_id",
  "action_id",
  "step_id",
  "phase",
  "moment",
  "actor",
  "rule",
  "account_id",
  "op",
  "method",
  "path",
  "request_body",
  "response_status",
  "response_body",
  "state",
  "outcome",
  "error",
];

function auditCells(r: AuditRecord) {
  const j = (v: unknown) => (v === null || v === undefined ? "" : JSON.stringify(v));
  return [
    r.auditId,
    r.at,
    r.orgId,
    r.planId,
    r.actionId,
    r.stepId,
    r.phase,
    r.moment,
    r.actor,
    r.rule,
    r.accountId,
    r.op,
    r.request.method,
    r.request.path,
    j(r.request.body),
    r.responseStatus,
    j(r.responseBody),
    j(r.state),
    r.outcome,
    r.error,
  ];
}

export function describeAudit(r: AuditRecord): string {
  const head = `${r.at.toISOString()} plan ${r.planId} action ${r.actionId} ${r.phase} ${r.moment.padEnd(6)} ${r.actor} ${r.rule} ${r.op} ${r.accountId}`;
  const req = `${r.request.method} ${r.request.path}${r.request.body !== undefined ? ` ${JSON.stringify(r.request.body)}` : ""}`;
  if (r.moment === "before") return `${head}\n    → ${req}  state ${JSON.stringify(r.state)}`;
  return `${head}\n    ← ${r.responseStatus ?? "-"} ${r.outcome ?? ""}${r.error ? ` ${r.error}` : ""}  state ${JSON.stringify(r.state)}`;
}
