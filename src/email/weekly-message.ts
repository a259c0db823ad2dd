/**
 * The weekly report email, as data: subject, an inline-styled HTML body that common mail
 * clients render (tables, no external CSS or scripts, the chart embedded by content id), a
 * plain-text alternative, and the attachments. Pure: no I/O.
 */
import type { ReportSummary } from "../reports/summary.ts";

export type Audience = "admins" | "finance";

export interface AttachmentPlan {
  filename: string;
  /** Absolute path of the file to attach, or undefined when it is too large (see note). */
  path?: string | undefined;
  content?: Buffer | undefined;
  contentType: string;
  /** Shown in the body when the file could not be attached as is. */
  note?: string | undefined;
}

export interface WeeklyMessageInput {
  summary: ReportSummary;
  audience: Audience;
  period: string;
  from: string;
  to: string;
  chartPng: Buffer;
  workbook: AttachmentPlan;
  /** What the policy would do next (src/policy/next-step.ts); absent: no open plan. */
  policyNext?: string | undefined;
}

export interface WeeklyMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments: {
    filename: string;
    path?: string;
    content?: Buffer;
    contentType: string;
    cid?: string;
    contentDisposition?: "inline" | "attachment";
  }[];
  headers: Record<string, string>;
}

export const CHART_CID = "dormant-chart@reclaim";

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function money(value: number, currency: string): string {
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency,
    maximumFractionDigits: 0,
  }).format(value);
}

const int = (n: number) => new Intl.NumberFormat("en-US").format(n);

export function subjectFor(summary: ReportSummary, audience: Audience, period: string): string {
  const org = summary.orgName ?? summary.orgId;
  const saving = money(summary.savings.projectedMonthly, summary.currency);
  return audience === "finance"
    ? `[Reclaim] ${org} seat costs ${period}: ${saving}/month reclaimable`
    : `[Reclaim] ${org} ${period}: ${int(summary.totals.dormantSeats)} dormant seats, ${saving}/month`;
}

export function buildWeeklyMessage(input: WeeklyMessageInput): WeeklyMessage {
  const { summary, audience, period } = input;
  const org = summary.orgName ?? summary.orgId;
  const top = [...summary.products]
    .sort((a, b) => b.reclaimableMonthly - a.reclaimableMonthly || b.dormant - a.dormant)
    .slice(0, 5);
  const asOf = summary.dataAsOf.slice(0, 16).replace("T", " ");
  const headline: [string, string][] = [
    ["Billable seats", int(summary.totals.billableSeats)],
    [
      `Dormant seats (idle ${summary.dormantAfterDays}+ days or never used)`,
      int(summary.totals.dormantSeats),
    ],
    ["Never used", int(summary.totals.neverActiveSeats)],
    ["Reclaimable per month", money(summary.savings.projectedMonthly, summary.currency)],
    ["Reclaimable per year", money(summary.savings.projectedAnnual, summary.currency)],
  ];
  const freshness = `Data as of ${asOf} UTC (crawl run ${summary.crawlRunId}); Atlassian's activity data itself lags up to 24 hours.`;
  const policy =
    input.policyNext !== undefined
      ? `What the policy would do next: ${input.policyNext}`
      : "Next policy step: not enabled. Reclaim suggests actions per user in the workbook; nothing is changed in your org.";
  const attachmentLine =
    input.workbook.note ?? `The full workbook is attached (${input.workbook.filename}).`;
  const intro =
    audience === "finance"
      ? `Seat usage and reclaimable cost for ${org}, week ${period}.`
      : `Dormant Atlassian accounts in ${org}, week ${period}.`;

  const text = [
    intro,
    "",
    ...headline.map(([k, v]) => `${k}: ${v}`),
    "",
    "Top products by reclaimable cost:",
    ...top.map(
      (p) =>
        `- ${p.productName}: ${int(p.dormant)} of ${int(p.seats)} seats dormant, ${money(p.reclaimableMonthly, summary.currency)}/month`,
    ),
    "",
    freshness,
    policy,
    attachmentLine,
  ].join("\n");

  const cell =
    "padding:6px 10px;border-bottom:1px solid #e5e7eb;font-family:Arial,Helvetica,sans-serif;font-size:14px;";
  const rows = headline
    .map(
      ([k, v]) =>
        `<tr><td style="${cell}color:#374151;">${esc(k)}</td><td style="${cell}text-align:right;font-weight:bold;color:#111827;">${esc(v)}</td></tr>`,
    )
    .join("");
  const productRows = top
    .map(
      (p) =>
        `<tr><td style="${cell}">${esc(p.productName)}</td><td style="${cell}text-align:right;">${int(p.dormant)} / ${int(p.seats)}</td><td style="${cell}text-align:right;">${esc(money(p.reclaimableMonthly, summary.currency))}</td></tr>`,
    )
    .join("");
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(subjectFor(summary, audience, period))}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;"><tr><td align="center" style="padding:16px;">
<table role="presentation" width="640" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:6px;">
<tr><td style="padding:20px 24px 8px;font-family:Arial,Helvetica,sans-serif;">
<h1 style="margin:0 0 4px;font-size:20px;color:#111827;">${esc(intro)}</h1>
<p style="margin:0;font-size:13px;color:#6b7280;">${esc(freshness)}</p></td></tr>
<tr><td style="padding:8px 24px;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0">${rows}</table></td></tr>
<tr><td style="padding:8px 24px;"><img src="cid:${CHART_CID}" width="592" alt="Dormant seats per product and trend" style="display:block;width:100%;max-width:592px;height:auto;border:0;"></td></tr>
<tr><td style="padding:8px 24px;font-family:Arial,Helvetica,sans-serif;"><h2 style="margin:8px 0;font-size:16px;color:#111827;">Top products by reclaimable cost</h2>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0">
<tr><th align="left" style="${cell}color:#6b7280;">Product</th><th align="right" style="${cell}color:#6b7280;">Dormant / seats</th><th align="right" style="${cell}color:#6b7280;">Per month</th></tr>
${productRows}</table></td></tr>
<tr><td style="padding:12px 24px 20px;font-family:Arial,Helvetica,sans-serif;font-size:13px;color:#374151;">
<p style="margin:0 0 8px;">${esc(policy)}</p><p style="margin:0;">${esc(attachmentLine)}</p></td></tr>
</table></td></tr></table></body></html>`;

  const attachments: WeeklyMessage["attachments"] = [
    {
      filename: "dormant-seats.png",
      content: input.chartPng,
      contentType: "image/png",
      cid: CHART_CID,
      contentDisposition: "inline",
    },
  ];
  if (input.workbook.path || input.workbook.content) {
    attachments.push({
      filename: input.workbook.filename,
      ...(input.workbook.path ? { path: input.workbook.path } : {}),
      ...(input.workbook.content ? { content: input.workbook.content } : {}),
      contentType: input.workbook.contentType,
      contentDisposition: "attachment",
    });
  }
  return {
    from: input.from,
    to: input.to,
    subject: subjectFor(summary, audience, period),
    text,
    html,
    attachments,
    headers: { "X-Reclaim-Period": period, "X-Reclaim-Audience": audience },
  };
}
