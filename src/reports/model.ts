/** Presentation of the idle buckets, and money. The rules themselves live in src/rules. */
import type { BucketColour } from "../rules/index.ts";

export const BUCKET_FILLS: Record<BucketColour, string> = {
  green: "FFC6EFCE",
  yellow: "FFFFEB9C",
  orange: "FFFFC7A0",
  red: "FFFFC7CE",
};

/** Monthly cost of `seats` at `pricePerSeatMonthly`, rounded to cents. */
export function reclaimableMonthly(seats: number, pricePerSeatMonthly: number): number {
  return Math.round(seats * pricePerSeatMonthly * 100) / 100;
}
