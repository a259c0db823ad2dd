/**
 * The plan as files beside the reports: a workbook (summary, actions with their exact API
 * calls, what was left out and why, the IdP change list), the actions as CSV, and the IdP
 * change list as CSV grouped by IdP group for the identity-provider admin. Written under a
 * temporary name and renamed when complete.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import ExcelJS from "exceljs";
import { csvLine, type CsvValue } from "../../reports/csv.ts";
import type { CutEntry, ExcludedEntry, IdpChange, PlannedAction, PlanSummary } from "../model.ts";
import { slug } from "../../reports/file-names.ts";

export interface PlanFilesInput {
  outDir: string;
  planId: number;
  orgId: string;
  /** Names the files, as the reports are named (its slug); the id when the org has no name. */
  orgName: string | null;
  dataAsOf: Date;
  createdAt: Date;
  summary: PlanSummary;
  actions: readonly PlannedAction[];
  excluded: readonly ExcludedEntry[];
  cut: readonly CutEntry[];
  idpChanges: readonly IdpChange[];
}

export interface PlanFiles {
  workbookPath: string;
  csvPath: string;
  changeListPath: string;
}

const ACTION_HEADERS = [
  "#",
  "Account ID",
  "Email",
  "Name",
  "Action",
  "Product",
  "Resource id",
  "Rule",
  "Reason",
  "Days idle",
  "Seats",
  "Saving / month",
  "API calls",
];

const CHANGE_HEADERS = [
  "IdP group",
  "Group id",
  "Account ID",
  "Email",
  "Name",
  "Product",
  "Resource id",
  "Last active",
  "Days idle",
  "Change",
  "Rule",
];

function describeCalls(a: PlannedAction): string {
  return a.calls
    .map((c) => `${c.method} ${c.path}${c.body ? ` ${JSON.stringify(c.body)}` : ""}`)
    .join("\n");
}

function actionCells(a: PlannedAction, i: number): CsvValue[] {
  return [
    i + 1,
    a.accountId,
    a.email,
    a.name,
    a.kind,
    a.productKey,
    a.resourceId,
    a.rule,
    a.reason,
    a.detail.daysIdle,
    a.seats,
    a.savingMonthly,
    describeCalls(a),
  ];
}

function changeCells(c: IdpChange): CsvValue[] {
  return [
    c.idpGroup,
    c.groupId,
    c.accountId,
    c.email,
    c.name,
    c.productKey,
    c.resourceId,
    c.lastActiveAt,
    c.daysIdle,
    c.change,
    c.rule,
  ];
}

/** The change list in the order an IdP admin works through it: by group, then by user. */
export function sortedChanges(changes: readonly IdpChange[]): IdpChange[] {
  return [...changes].sort(
    (a, b) =>
      a.idpGroup.localeCompare(b.idpGroup) ||
      (a.email ?? a.accountId).localeCompare(b.email ?? b.accountId) ||
      a.productKey.localeCompare(b.productKey),
  );
}

async function writeCsv(file: string, headers: string[], rows: Iterable<CsvValue[]>) {
  const out = createWriteStream(file);
  try {
    const put = async (line: string) => {
      if (!out.write(line)) await once(out, "drain");
    };
    await put(csvLine(headers));
    for (const r of rows) await put(csvLine(r));
  } finally {
    out.end();
    await once(out, "close");
  }
}

function sheet(
  wb: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  headers: string[],
  widths: number[],
) {
  const ws = wb.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
  ws.columns = headers.map((_, i) => ({ width: widths[i] ?? 16 }));
  const head = ws.addRow(headers);
  head.font = { bold: true };
  head.commit();
  return ws;
}

export async function writePlanFiles(input: PlanFilesInput): Promise<PlanFiles> {
  await mkdir(input.outDir, { recursive: true });
  const base = path.join(
    input.outDir,
    `reclaim-${slug(input.orgName ?? "") || slug(input.orgId) || "org"}-plan-${input.planId}`,
  );
  const files: PlanFiles = {
    workbookPath: `${base}.xlsx`,
    csvPath: `${base}.csv`,
    changeListPath: `${base}-idp-changes.csv`,
  };
  const partial = (f: string) => `${f}.partial`;
  const changes = sortedChanges(input.idpChanges);
  try {
    await writeCsv(partial(files.csvPath), ACTION_HEADERS, input.actions.map(actionCells));
    await writeCsv(partial(files.changeListPath), CHANGE_HEADERS, changes.map(changeCells));
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
      filename: partial(files.workbookPath),
      useStyles: true,
      useSharedStrings: false,
    });
    wb.creator = "reclaim";
    wb.created = input.createdAt;
    const s = input.summary;
    const summary = wb.addWorksheet("Plan");
    summary.columns = [{ width: 36 }, { width: 60 }];
    const rows: [string, ExcelJS.CellValue][] = [
      ["Plan", input.planId],
      ["Org", s.orgName ? `${s.orgName} (${input.orgId})` : input.orgId],
      ["Data as of (crawl finished, UTC)", input.dataAsOf],
      ["Planned (UTC)", input.createdAt],
      ["Status", "dry run: nothing changes until the plan is approved and applied"],
      ["Actions", s.actions],
      ["Seats freed", s.seats],
      [`Expected saving / month (${s.currency})`, s.savingMonthly],
      ["Billable seats", s.billableSeats],
      ["Caps", `${s.maxActions} actions; ${s.maxPercent}% of billable seats = ${s.seatCap} seats`],
      ["Left out by the caps", s.cut],
      ["Left out by the rules (protected, in use, IdP)", s.excluded],
      ["IdP change list entries", s.idpChanges],
      [
        "Next",
        `reclaim policy approve ${input.planId}${s.warnDays > 0 ? ` (warns users; apply after ${s.warnDays} days)` : ""}, then reclaim policy apply ${input.planId}`,
      ],
    ];
    for (const [k, v] of rows) {
      const r = summary.addRow([k, v]);
      r.getCell(1).font = { bold: true };
      if (v instanceof Date) r.getCell(2).numFmt = "yyyy-mm-dd hh:mm";
      r.commit();
    }
    summary.commit();
    const acts = sheet(
      wb,
      "Actions",
      ACTION_HEADERS,
      [5, 28, 30, 22, 22, 22, 40, 14, 70, 10, 8, 14, 90],
    );
    input.actions.forEach((a, i) => {
      const r = acts.addRow(actionCells(a, i));
      r.getCell(13).alignment = { wrapText: true };
      r.commit();
    });
    acts.commit();
    const left = sheet(
      wb,
      "Left out",
      ["Account ID", "Email", "Rule", "Product", "Why"],
      [28, 30, 14, 22, 90],
    );
    for (const c of input.cut)
      left.addRow([c.accountId, c.email, c.rule, c.product, `cut: ${c.reason}`]).commit();
    for (const e of input.excluded)
      left.addRow([e.accountId, e.email, e.rule, e.product, e.reason]).commit();
    left.commit();
    const idp = sheet(
      wb,
      "IdP change list",
      CHANGE_HEADERS,
      [28, 38, 28, 30, 22, 18, 40, 22, 10, 40, 14],
    );
    for (const c of changes) idp.addRow(changeCells(c)).commit();
    idp.commit();
    await wb.commit();
    for (const f of [files.csvPath, files.changeListPath, files.workbookPath])
      await rename(partial(f), f);
  } catch (error) {
    for (const f of [files.csvPath, files.changeListPath, files.workbookPath])
      await rm(partial(f), { force: true });
    throw error;
  }
  return files;
}
