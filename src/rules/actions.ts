/**
 * What to do about a user with dormant seats: the "Suggested action" column of the report,
 * and the action the policy step defaults to. Written once, here.
 */
import type { ProtectionReason } from "./accounts.ts";

export type SuggestedAction =
  | "leave: admin"
  | "leave: bot"
  | "leave: new user in grace period"
  | "leave: excluded"
  | "change in the IdP"
  | "remove product access"
  | "suspend";

export interface ActionInput {
  /** From protectionOf(); null when nothing protects the user. */
  protection: ProtectionReason | null;
  /** The user, or a group granting one of their dormant seats, is managed by an IdP. */
  idpManaged: boolean;
  dormantSeats: number;
  /** Seats the user used within the dormant threshold (grace seats are not active). */
  activeSeats: number;
}

/**
 * Protected users are left alone; IdP-managed access is changed in the IdP; a user active in
 * another product loses only the access they do not use; everyone else is suspended.
 */
export function suggestedAction(input: ActionInput): SuggestedAction {
  switch (input.protection) {
    case "admin":
    case "admin group":
      return "leave: admin";
    case "bot or app account":
      return "leave: bot";
    case "new user in grace period":
      return "leave: new user in grace period";
    case null:
      break;
    default:
      return "leave: excluded";
  }
  if (input.idpManaged) return "change in the IdP";
  if (input.activeSeats > 0 && input.dormantSeats > 0) return "remove product access";
  return "suspend";
}
