/**
 * Realized savings: what applied policy actions have saved — price × seats freed × months
 * since the action — for the Finance sheet and the trend. Only actions that are done, whose
 * seat is not still held through another grant, and that were never undone count.
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "../schema.ts";

/** Average month, for "months since the action". */
const MONTH_MS = (365.25 / 12) * 86_400_000;

export interface RealizedProduct {
  productKey: string;
  /** Seats freed by applied actions. */
  seats: number;
  /** What those seats cost per month (the saving from now on). */
  monthly: number;
  /** Saved so far: per seat, price × months between the action and `asOf`. */
  toDate: number;
}

export interface RealizedSavings {
  actions: number;
  seats: number;
  monthly: number;
  toDate: number;
  byProduct: RealizedProduct[];
}

interface FreedSeat {
  actionId: number;
  productKey: string;
  appliedAt: Date;
}

async function freedSeats(db: Kysely<Database>, orgId: string): Promise<FreedSeat[]> {
  const { rows } = await sql<{ action_id: number; product_key: string; applied_at: Date }>`
    select a.action_id, s.value ->> 'productKey' as product_key, a.applied_at
    from policy_actions a
    cross join lateral jsonb_array_elements(a.detail -> 'seatsFreed') s
    where a.org_id = ${orgId} and a.state = 'done' and not a.still_held
      and a.applied_at is not null and a.undone_at is null and a.undo_state is distinct from 'undone'
    order by a.action_id`.execute(db);
  return rows.map((r) => ({
    actionId: Number(r.action_id),
    productKey: r.product_key,
    appliedAt: new Date(r.applied_at),
  }));
}

const cents = (n: number) => Math.round(n * 100) / 100;

/**
 * Realized savings of the org as of `asOf` (actions applied after it do not count yet).
 * @param priceOf monthly price of one seat of a product, in the report currency
 */
export async function realizedSavings(
  db: Kysely<Database>,
  orgId: string,
  asOf: Date,
  priceOf: (productKey: string) => number,
): Promise<RealizedSavings> {
  return summarise(
    (await freedSeats(db, orgId)).filter((s) => s.appliedAt.getTime() <= asOf.getTime()),
    asOf,
    priceOf,
  );
}

/** The monthly saving in effect at each instant (for the trend), in the same order. */
export async function realizedMonthlyAt(
  db: Kysely<Database>,
  orgId: string,
  instants: readonly Date[],
  priceOf: (productKey: string) => number,
): Promise<number[]> {
  const seats = await freedSeats(db, orgId);
  return instants.map((t) =>
    cents(
      seats
        .filter((s) => s.appliedAt.getTime() <= t.getTime())
        .reduce((n, s) => n + priceOf(s.productKey), 0),
    ),
  );
}

function summarise(
  seats: readonly FreedSeat[],
  asOf: Date,
  priceOf: (productKey: string) => number,
): RealizedSavings {
  const byProduct = new Map<string, RealizedProduct>();
  for (const s of seats) {
    const p = byProduct.get(s.productKey) ?? {
      productKey: s.productKey,
      seats: 0,
      monthly: 0,
      toDate: 0,
    };
    const price = priceOf(s.productKey);
    p.seats += 1;
    p.monthly += price;
    p.toDate += price * Math.max(0, (asOf.getTime() - s.appliedAt.getTime()) / MONTH_MS);
    byProduct.set(s.productKey, p);
  }
  const products = [...byProduct.values()]
    .map((p) => ({ ...p, monthly: cents(p.monthly), toDate: cents(p.toDate) }))
    .sort((a, b) => a.productKey.localeCompare(b.productKey));
  return {
    actions: new Set(seats.map((s) => s.actionId)).size,
    seats: seats.length,
    monthly: cents(products.reduce((n, p) => n + p.monthly, 0)),
    toDate: cents(products.reduce((n, p) => n + p.toDate, 0)),
    byProduct: products,
  };
}
