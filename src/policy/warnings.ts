/**
 * The warning email: each user in an approved plan is told, once, what will be removed, their
 * last activity, the date of the action and whom to contact — through the weekly email's
 * transport and its delivery ledger (keyed by plan, so a rerun never sends it twice). Using
 * the product before the date cancels the action: the next crawl sees it, or apply's live
 * re-read does.
 */
import type { Kysely } from "kysely";
import type { PolicyConfig } from "../config/sections/policy.ts";
import { claimDelivery, markFailed, markSent } from "../db/repositories/deliveries.repository.ts";
import type { Database } from "../db/schema.ts";
import type { PolicyActionRow } from "../db/tables/policy.ts";
import { currentOwner, DEFAULT_LEASE_MS, mayTakeOver } from "../email/delivery-claim.ts";
import type { MailTransport } from "../email/transport.ts";
import type { WeeklyMessage } from "../email/weekly-message.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import { parse } from "./model.ts";

export const WARNING_AUDIENCE = "policy-warning";

/** The ledger period of a plan's warnings. */
export const warningPeriod = (planId: number) => `policy-plan-${planId}`;

export interface WarningOutcome {
  accountId: string;
  recipient: string | null;
  status: "sent" | "written" | "skipped" | "failed";
  detail?: string;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The message for one user (pure). */
export function warningMessage(input: {
  planId: number;
  orgName: string;
  name: string | null;
  to: string;
  from: string;
  actionDate: Date;
  actions: readonly PolicyActionRow[];
  warning: PolicyConfig["warning"];
}): WeeklyMessage {
  const { actions, warning } = input;
  const wide = actions.find((a) => a.kind !== "remove-product-access");
  const what = wide
    ? wide.kind === "suspend"
      ? "your access to all Atlassian products of the organization will be suspended"
      : "your Atlassian account will be deactivated"
    : `your access to ${[...new Set(actions.map((a) => a.product_key))].join(", ")} will be removed`;
  const lines = actions.flatMap((a) =>
    parse
      .detail(a.detail)
      .seatsFreed.map(
        (s) =>
          `  - ${s.productKey}: ${s.lastActiveAt === null ? "never used" : `last used ${day(new Date(s.lastActiveAt))}`}`,
      ),
  );
  const contact = warning.contact ?? "your Atlassian administrators";
  const subject =
    warning.subject ??
    `[Reclaim] ${input.orgName}: unused Atlassian access will be removed on ${day(input.actionDate)}`;
  const text = [
    `Hello ${input.name ?? ""}`.trim() + ",",
    "",
    `you have not used some of the Atlassian products ${input.orgName} pays a seat for. On or after ${day(input.actionDate)} ${what}:`,
    ...lines,
    "",
    "If you still need it, simply use the product before that date: activity cancels this change.",
    `Questions, or need to keep access? Contact ${contact}.`,
    ...(warning.text ? ["", warning.text] : []),
    "",
    `(Reclaim policy plan ${input.planId})`,
  ].join("\n");
  const esc = (s: string) =>
    s.replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
    );
  return {
    from: input.from,
    to: input.to,
    subject,
    text,
    html: `<pre style="font-family: sans-serif; white-space: pre-wrap">${esc(text)}</pre>`,
    attachments: [],
    headers: {
      "X-Reclaim-Period": warningPeriod(input.planId),
      "X-Reclaim-Audience": WARNING_AUDIENCE,
    },
  };
}

/**
 * Sends each user of the plan's planned actions one warning, claimed in the delivery ledger
 * first so it goes out at most once per plan and user.
 */
export async function sendWarnings(
  deps: { db: Kysely<Database>; clock: Clock; transport: MailTransport },
  input: {
    planId: number;
    orgId: string;
    orgName: string;
    from: string;
    actionDate: Date;
    actions: readonly PolicyActionRow[];
    warning: PolicyConfig["warning"];
  },
): Promise<WarningOutcome[]> {
  const byUser = new Map<string, PolicyActionRow[]>();
  for (const a of input.actions) byUser.set(a.account_id, [...(byUser.get(a.account_id) ?? []), a]);
  const out: WarningOutcome[] = [];
  for (const [accountId, actions] of byUser) {
    const recipient = actions[0]?.email ?? null;
    if (recipient === null) {
      out.push({ accountId, recipient, status: "skipped", detail: "no email address stored" });
      continue;
    }
    const key = {
      orgId: input.orgId,
      period: warningPeriod(input.planId),
      audience: WARNING_AUDIENCE,
      recipient,
    };
    const owner = currentOwner();
    const at = deps.clock.now();
    const claim = await claimDelivery(deps.db, key, {
      reportId: null,
      at,
      owner,
      mayTakeOver: (row) =>
        mayTakeOver(row, { me: owner, at, leaseMs: DEFAULT_LEASE_MS, force: false }),
    });
    if (!claim.claimed) {
      out.push({ accountId, recipient, status: "skipped", detail: "already warned for this plan" });
      continue;
    }
    const message = warningMessage({
      ...input,
      name: actions[0]?.name ?? null,
      to: recipient,
      actions,
    });
    let result;
    try {
      result = await deps.transport.send(message, `${key.period}-${input.orgId}-${recipient}`);
    } catch (error) {
      // Recorded as a failure (the next approval retries it), never left `sending`.
      await markFailed(deps.db, claim.delivery.delivery_id, {
        at: deps.clock.now(),
        attempts: 1,
        transport: deps.transport.kind,
        error: errorMessage(error),
        token: owner.token,
      }).catch(() => undefined);
      throw error;
    }
    const done = deps.clock.now();
    if (result.ok) {
      await markSent(deps.db, claim.delivery.delivery_id, {
        at: done,
        attempts: result.attempts,
        transport: deps.transport.kind,
        messageId: result.messageId,
        location: result.location,
      });
      out.push({
        accountId,
        recipient,
        status: deps.transport.kind === "outbox" ? "written" : "sent",
      });
    } else {
      const error = result.error ?? "unknown error";
      await markFailed(deps.db, claim.delivery.delivery_id, {
        at: done,
        attempts: result.attempts,
        transport: deps.transport.kind,
        error,
        token: owner.token,
      });
      out.push({ accountId, recipient, status: "failed", detail: error });
    }
  }
  return out;
}
