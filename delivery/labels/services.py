"""Load a label's item or bag, check the caller may print it, and draw it."""

from __future__ import annotations

import asyncpg
import msgspec

from delivery.custody import s10
from delivery.custody.bags import InvalidBagId, parse_bag_id
from delivery.labels import model, render, store
from delivery.labels.model import Choice, Face
from delivery.platform.errors import FieldError, InvalidInput, NotFound
from delivery.staff.auth import StaffUser


class Printed(msgspec.Struct, frozen=True, kw_only=True):
    """A drawn label: its bytes, media type, file name and the page's own policy (HTML)."""

    body: bytes
    media_type: str
    filename: str
    csp: str | None = None


async def item_label(conn: asyncpg.Connection, staff: StaffUser, tracking_number: str,
                     choice: Choice) -> Printed:
    """The label of an item the caller's site handles; NotFound for any other."""
    try:
        s10.parse(tracking_number)
    except ValueError as error:
        raise InvalidInput(str(error), errors=[
            FieldError(field="path:tracking_number", message="not a UPU S10 number")]) from None
    label = await store.get_item_label(conn, tracking_number)
    if label is None or not model.may_print(staff.role, staff.site_id, label.sites):
        raise NotFound(f"no item {tracking_number}")
    return _draw(model.item_face(label), choice)


async def bag_label(conn: asyncpg.Connection, staff: StaffUser, bag_id: str,
                    choice: Choice) -> Printed:
    """The label of a bag the caller's centre sends or branch receives; NotFound otherwise."""
    try:
        bag_id = parse_bag_id(bag_id)
    except InvalidBagId as error:
        raise InvalidInput(str(error), errors=[
            FieldError(field="path:bag_id", message="not a bag id (like BAG0000005724)")]) from None
    label = await store.get_bag_label(conn, bag_id)
    if label is None or not model.may_print(staff.role, staff.site_id, label.sites):
        raise NotFound(f"no bag {bag_id}")
    return _draw(model.bag_face(label), choice)


def _draw(face: Face, choice: Choice) -> Printed:
    name = f"label-{face.code}"
    if choice.format == "pdf":
        return Printed(body=render.pdf(face, choice.size, name), media_type=model.PDF,
                       filename=f"{name}.pdf")
    page, csp = render.html(face, choice.size, face.code)
    return Printed(body=page.encode(), media_type="text/html; charset=utf-8",
                   filename=f"{name}.html", csp=csp)
