// Which screens each role has, in the order of its day.

import {branchModes} from "./branch.js";
import {courierModes} from "./courier.js";
import {sortingModes} from "./sorting.js";

export function modesFor(role, ctx) {
  if (role === "sorting_clerk") return sortingModes(ctx);
  if (role === "branch_clerk") return branchModes(ctx);
  if (role === "courier") return courierModes(ctx);
  return [];
}
