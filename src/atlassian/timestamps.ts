/**
 * Lenient timestamp parsing for Atlassian payloads.
 *
 * JS `Date` only understands up to 3 fractional digits; v2 timestamps carry nanoseconds
 * (`2025-11-06T23:07:29.936941226Z`), and last-active fields are date-only (`2026-08-03`,
 * read as midnight UTC). RFC 3339 lets `T` and `Z` be lowercase; offsets come as `+HH:MM`,
 * `+HHMM` or `+HH`; fractions with `.` or `,`. Returns `undefined` for anything unparsable;
 * schemas turn that into a loud error instead of a silently missing date.
 */
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

export function parseTimestamp(value: string): Date | undefined {
  const m = ISO_RE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (h === undefined) {
    const date = new Date(`${y}-${mo}-${d}T00:00:00.000Z`);
    return validDate(date, Number(y), Number(mo), Number(d));
  }
  const ms = (frac ?? "").slice(0, 3).padEnd(3, "0");
  let tz = zone ?? "Z";
  if (tz === "z") tz = "Z";
  if (tz !== "Z") {
    // +HH, +HHMM and +HH:MM all become +HH:MM
    const sign = tz[0];
    const digits = tz.slice(1).replace(":", "").padEnd(4, "0");
    tz = `${sign}${digits.slice(0, 2)}:${digits.slice(2, 4)}`;
  }
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}.${ms}${tz}`);
  return validDate(date, Number(y), Number(mo), Number(d));
}

function validDate(date: Date, year: number, month: number, day: number): Date | undefined {
  if (Number.isNaN(date.getTime())) return undefined;
  if (month < 1 || month > 12 || day < 1) return undefined;
  // V8 rolls 2026-02-31 over to March; refuse days the month does not have
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  return date;
}

/** `YYYY-MM-DD` of a date in UTC. */
export function toIsoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
