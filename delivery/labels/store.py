"""What a label prints, read from the item or bag and the sites it belongs to."""

from __future__ import annotations

import asyncpg

from delivery.labels.model import BagLabel, ItemLabel, Sites

# An item's branch and the centre that feeds it (both unknown until a branch is assigned).
ITEM_LABEL = """
SELECT i.tracking_number, i.document_type, i.created_at, b.id AS branch_id, b.code AS branch_code,
    b.name_ar AS branch_name_ar, b.sorting_centre AS centre_id
FROM items i LEFT JOIN sites b ON b.id = i.branch_id
WHERE i.tracking_number = $1
"""
# The items in the bag now (an item taken out before dispatch is not counted).
BAG_LABEL = """
SELECT g.bag_id, g.opened_at, g.dispatched_at, g.origin_id, o.code AS origin_code,
    g.destination_id, d.code AS destination_code, d.name_ar AS destination_name_ar,
    (SELECT count(*) FROM bag_items bi WHERE bi.bag_id = g.bag_id AND bi.removed_at IS NULL)
        AS items
FROM bags g JOIN sites o ON o.id = g.origin_id JOIN sites d ON d.id = g.destination_id
WHERE g.bag_id = $1
"""


async def get_item_label(conn: asyncpg.Connection, tracking_number: str) -> ItemLabel | None:
    row = await conn.fetchrow(ITEM_LABEL, tracking_number)
    if row is None:
        return None
    return ItemLabel(
        tracking_number=row["tracking_number"], document_type=row["document_type"],
        registered_at=row["created_at"], branch_code=row["branch_code"],
        branch_name_ar=row["branch_name_ar"],
        sites=Sites(centre_id=row["centre_id"], branch_id=row["branch_id"]))


async def get_bag_label(conn: asyncpg.Connection, bag_id: str) -> BagLabel | None:
    row = await conn.fetchrow(BAG_LABEL, bag_id)
    if row is None:
        return None
    return BagLabel(
        bag_id=row["bag_id"], opened_at=row["opened_at"], dispatched_at=row["dispatched_at"],
        origin_code=row["origin_code"], destination_code=row["destination_code"],
        destination_name_ar=row["destination_name_ar"], items=row["items"],
        sites=Sites(centre_id=row["origin_id"], branch_id=row["destination_id"]))
