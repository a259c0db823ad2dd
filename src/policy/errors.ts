/** Why the policy step refused to go on: one line that says what to do. Exit code 1. */
export class PolicyRefusal extends Error {
  override name = "PolicyRefusal";
}
