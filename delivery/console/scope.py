"""What part of the country a member of staff may see in the console.

- a supervisor: the items of their site (a branch's own, or, at a sorting centre, those of the
  branches it feeds);
- an inspector or the help desk: the items of their governorate;
- an administrator, or an inspector of the whole country: everything.

Every console query about items takes the three values of `Scope.args()` and filters with
`items_in_scope(n)`, so no route decides visibility on its own.
"""

from __future__ import annotations

import msgspec

from delivery.staff.model import GOVERNORATE_ROLES, StaffAccount, StaffRole


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    everything: bool = False
    site_id: int | None = None
    governorate: str | None = None

    @classmethod
    def of(cls, staff: StaffAccount) -> Scope:
        """The scope of a member of staff, from their role and where they belong."""
        if staff.role == StaffRole.admin:
            return cls(everything=True)
        if staff.role in GOVERNORATE_ROLES:
            if staff.governorate is None:  # an inspector of the whole country
                return cls(everything=staff.role == StaffRole.inspector)
            return cls(governorate=staff.governorate)
        return cls(site_id=staff.site_id)

    def args(self) -> tuple[bool, int | None, str | None]:
        """The values `items_in_scope` reads, in its order."""
        return self.everything, self.site_id, self.governorate

    @property
    def nothing(self) -> bool:
        """Whether this scope sees no item at all (a handheld role with no site, say)."""
        return not self.everything and self.site_id is None and self.governorate is None


# Test-mode agencies' items are for their integrators only: no member of staff sees them.
TEST_AGENCIES = "SELECT id FROM agencies WHERE test_mode"


def items_in_scope(first: int, item: str = "i") -> str:
    """SQL true for the rows of `item` (an alias of `items`) in scope; `$first` .. `$first+2`
    take `Scope.args()`."""
    everything, site, governorate = f"${first}", f"${first + 1}", f"${first + 2}"
    return (f"({everything}::boolean OR {item}.governorate = {governorate}::text"
            f" OR {item}.branch_id IN (SELECT id FROM sites WHERE id = {site}::bigint"
            f" OR sorting_centre = {site}::bigint))"
            f" AND {item}.agency_id NOT IN ({TEST_AGENCIES})")


def sites_in_scope(first: int, site: str = "s") -> str:
    """SQL true for the rows of `site` (an alias of `sites`) in scope, as `items_in_scope`."""
    everything, site_id, governorate = f"${first}", f"${first + 1}", f"${first + 2}"
    return (f"({everything}::boolean OR {site}.governorate = {governorate}::text"
            f" OR {site}.id = {site_id}::bigint OR {site}.sorting_centre = {site_id}::bigint)")
