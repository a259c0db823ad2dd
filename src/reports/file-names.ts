/** Report file names: the org's name as a slug and the date, so a folder of reports reads. */
import { dateText } from "./formats.ts";

/** "Acme Corp (EU) GmbH" → "acme-corp-eu-gmbh"; accents dropped; "" when nothing is left. */
export function slug(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
}

/**
 * A file-name slug per org id: its name's slug (else its id's), with the start of the org id
 * added when two orgs would get the same one, so their reports never overwrite each other.
 */
export function orgSlugs(
  orgs: readonly { orgId: string; orgName: string | null }[],
): Map<string, string> {
  const base = new Map(
    orgs.map((o) => [o.orgId, slug(o.orgName ?? "") || slug(o.orgId) || "org"] as const),
  );
  const uses = new Map<string, number>();
  for (const s of base.values()) uses.set(s, (uses.get(s) ?? 0) + 1);
  return new Map(
    [...base].map(([id, s]) => [id, (uses.get(s) ?? 0) > 1 ? `${s}-${slug(id).slice(0, 8)}` : s]),
  );
}

/**
 * "reclaim-acme-corp-2026-11-28" (the date in `timeZone`); a rebuild of a past crawl's
 * report adds "-run<N>" and is dated by that crawl.
 */
export function reportBaseName(
  orgSlug: string,
  date: Date,
  timeZone: string,
  runId?: number,
): string {
  const run = runId === undefined ? "" : `-run${runId}`;
  return `reclaim-${orgSlug}-${dateText(date, timeZone)}${run}`;
}
