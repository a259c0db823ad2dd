import { z } from "zod";
import { parseTimestamp } from "./timestamps.ts";

/*
 * Shared tolerant schema pieces. Objects use zod's default (unknown keys are accepted and
 * dropped), enums are open strings, and new optional fields never break parsing. Required
 * fields stay required: a casing mix-up must fail loudly.
 */

/** ISO date-time or date (any number of fractional digits) → Date; unparsable → issue. */
export const timestamp = z.string().transform((s, ctx) => {
  const d = parseTimestamp(s);
  if (!d) {
    // the value is quoted by the caller, scrubbed first (a body may echo secrets anywhere)
    ctx.addIssue({ code: "custom", message: "unparsable timestamp" });
    return z.NEVER;
  }
  return d;
});

/** Optional/nullable timestamp; null and "" become undefined (not sent: unknown). */
export const optionalTimestamp = z
  .string()
  .nullish()
  .transform((s, ctx) => {
    if (s === null || s === undefined || s === "") return undefined;
    const d = parseTimestamp(s);
    if (!d) {
      ctx.addIssue({ code: "custom", message: "unparsable timestamp" });
      return z.NEVER;
    }
    return d;
  });

/** Optional/nullable string; null becomes undefined. */
export const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

export const optionalBoolean = z
  .boolean()
  .nullish()
  .transform((v) => v ?? undefined);

export const optionalNumber = z
  .number()
  .nullish()
  .transform((v) => v ?? undefined);

/** `links` of v2 pages: opaque cursors (or, tolerated, URLs with a `cursor` param). */
export const pageLinks = z
  .object({ self: z.string().nullish(), prev: z.string().nullish(), next: z.string().nullish() })
  .nullish();

/** The uuid after the last `/` of an ARI (`ari:cloud:identity::group/<uuid>` → `<uuid>`). */
export function ariSuffix(idOrAri: string): string {
  const i = idOrAri.lastIndexOf("/");
  return i >= 0 ? idOrAri.slice(i + 1) : idOrAri;
}
