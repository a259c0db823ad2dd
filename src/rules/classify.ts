/**
 * One user's seats through the rules: each seat's state, why it is billable, whether the user
 * is protected, and what to do. The report's Dormant accounts rows and the policy plan are
 * both built from this, so the plan selects exactly what the report shows.
 */
import {
  isIdpManagedGroup,
  isIdpManagedUser,
  protectionOf,
  type Exclusions,
  type ProtectionReason,
} from "./accounts.ts";
import { suggestedAction, type SuggestedAction } from "./actions.ts";
import { daysIdle, seatState, type ActivityWindow, type SeatState } from "./activity.ts";

export interface UserFacts {
  accountId: string;
  email: string | null;
  accountType: string | null;
  platformRoles: readonly string[];
  addedToOrg: Date | null;
  managementSource: string | null;
  products: readonly { productKey: string; resourceId: string; lastActiveAt: Date | null }[];
  groups: readonly {
    groupId: string;
    groupName: string;
    groupManagementSource: string | null;
    grants: readonly { productKey: string | null; resourceId: string; role: string }[];
  }[];
}

export interface ClassifiedSeat {
  productKey: string;
  resourceId: string;
  lastActiveAt: Date | null;
  state: SeatState;
  /** null = never used. */
  daysIdle: number | null;
  /** Groups that grant a role on this seat's resource. */
  grantedBy: { groupId: string; groupName: string; role: string; idpManaged: boolean }[];
  /** No group grants it: the role is held directly (or inferred). */
  direct: boolean;
}

export interface ClassifiedUser {
  seats: ClassifiedSeat[];
  dormant: ClassifiedSeat[];
  active: ClassifiedSeat[];
  /** Never active in any product. */
  neverActive: boolean;
  /** Days idle of the most idle dormant seat; null when a dormant seat was never used. */
  daysIdle: number | null;
  protection: ProtectionReason | null;
  /** The user, or a group granting one of their dormant seats, is managed by an IdP. */
  idpManaged: boolean;
  action: SuggestedAction;
}

export function classifyUser(
  user: UserFacts,
  w: ActivityWindow,
  exclude?: Exclusions,
): ClassifiedUser {
  const seats: ClassifiedSeat[] = user.products.map((p) => {
    const grantedBy = user.groups.flatMap((g) =>
      g.grants
        .filter((x) => x.resourceId === p.resourceId)
        .map((x) => ({
          groupId: g.groupId,
          groupName: g.groupName,
          role: x.role,
          idpManaged: isIdpManagedGroup(g.groupManagementSource),
        })),
    );
    return {
      productKey: p.productKey,
      resourceId: p.resourceId,
      lastActiveAt: p.lastActiveAt,
      state: seatState(p, user, w),
      daysIdle: daysIdle(p.lastActiveAt, w.asOf),
      grantedBy,
      direct: grantedBy.length === 0,
    };
  });
  const dormant = seats.filter((s) => s.state === "dormant");
  const active = seats.filter((s) => s.state === "active");
  let idle: number | null = null;
  if (!dormant.some((s) => s.daysIdle === null)) {
    for (const s of dormant) if (idle === null || (s.daysIdle ?? 0) > idle) idle = s.daysIdle;
  }
  const protection = protectionOf(
    {
      ...user,
      groups: user.groups.map((g) => ({
        groupId: g.groupId,
        name: g.groupName,
        roles: g.grants.map((x) => x.role),
      })),
    },
    w,
    exclude,
  );
  const idpManaged =
    isIdpManagedUser(user.managementSource) ||
    dormant.some((s) => s.grantedBy.some((g) => g.idpManaged));
  return {
    seats,
    dormant,
    active,
    neverActive: seats.length > 0 && seats.every((s) => s.lastActiveAt === null),
    daysIdle: idle,
    protection,
    idpManaged,
    action: suggestedAction({
      protection,
      idpManaged,
      dormantSeats: dormant.length,
      activeSeats: active.length,
    }),
  };
}
