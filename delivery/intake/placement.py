"""Where new documents go: the branch for each, the rule that chose it, and any doubt about the
point given. Pure and vectorised over a chunk of documents.

- A point clearly outside the governorate named is accepted but flagged
  (`location_outside_governorate`): agencies' points are often right and their governorate
  wrong, or the reverse, and refusing would hold up a citizen's document over either.
- A document without a point, whose district (or address words) the district table knows,
  goes where that district's point goes (or to the district's own branch): not every such
  document of a governorate to its main branch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from delivery.intake.schemas import DataWarningOut
from delivery.intake.validate import NormalisedDocument
from delivery.sites.districts import Gazetteer
from delivery.sites.outlines import outside_claimed
from routing.assign import RULE_PICKUP_CHOICE, AreaIndex

RULE_DISTRICT = "district"
OUTSIDE_GOVERNORATE = "location_outside_governorate"


def place(index: AreaIndex, gazetteer: Gazetteer, docs: Sequence[NormalisedDocument],
          max_nearest_km: float) -> tuple[list[str | None], list[str], list[str | None]]:
    """Branch, rule and warning (or None) of each document, in one vectorised pass."""
    lats = np.array([np.nan if d.lat is None else d.lat for d in docs], dtype=float)
    lons = np.array([np.nan if d.lon is None else d.lon for d in docs], dtype=float)
    governorates = [d.governorate for d in docs]
    warnings = [OUTSIDE_GOVERNORATE if out else None
                for out in outside_claimed(governorates, lats, lons)]
    by_district: dict[int, str | None] = {}  # document → the district's own branch, if any
    for i in np.flatnonzero(np.isnan(lats)):
        doc = docs[i]
        if (found := gazetteer.match(doc.governorate, doc.district, doc.address_text)) is None:
            continue
        lats[i], lons[i] = found.lat, found.lon
        by_district[int(i)] = found.branch_code if found.branch_code and index.has_branch(
            found.branch_code) else None
    codes, rules = index.assign_many(lats, lons, governorates, max_nearest_km=max_nearest_km)
    for i, own_branch in by_district.items():
        codes[i], rules[i] = own_branch or codes[i], RULE_DISTRICT
    for i, d in enumerate(docs):
        if d.mode == "pickup" and d.branch_code:
            codes[i], rules[i] = d.branch_code, RULE_PICKUP_CHOICE
    return codes, rules, warnings


# Each warning: where in a submitted document it points, and what it says.
_WARNINGS = {
    OUTSIDE_GOVERNORATE: ("/delivery/location", "the point lies outside the governorate named; "
                                                "accepted, and assigned by the point"),
}


def data_warning(code: str, prefix: str = "") -> DataWarningOut:
    """A warning kept with an item, as the agency is shown it (`prefix`: the document's pointer
    in a batch)."""
    pointer, message = _WARNINGS[code]
    return DataWarningOut(code=code, field=prefix + pointer, message=message)  # type: ignore[arg-type]
