"""The signal board and the items behind each figure, for the viewer's scope."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import asyncpg
import msgspec

from delivery.console.scope import Scope
from delivery.console.signals import store
from delivery.console.signals.model import FAR_METRES, STUCK_AFTER, Flag, Period, Unit, outliers
from delivery.custody.context import CustodyContext


class Board(msgspec.Struct, frozen=True, kw_only=True):
    """Every unit's counts over the period, and the flags of those that stand out."""

    period: Period
    branches: list[Unit]
    staff: list[Unit]
    flags: dict[tuple[str, str], list[Flag]]

    def flagged(self, unit: Unit, signal: str) -> bool:
        return any(f.signal == signal for f in self.flags.get((unit.kind, unit.key), ()))


def window(period: Period, scope: Scope, ctx: CustodyContext, now: datetime) -> store.Window:
    """The rows' window for a period seen by `scope` at `now`."""
    return store.Window(start=period.start, end=period.end,
                        overdue_before=now - ctx.handover_alert_after,
                        stuck_before=now - STUCK_AFTER, far_metres=FAR_METRES, scope=scope)


async def board(conn: asyncpg.Connection, *, period: Period, scope: Scope, ctx: CustodyContext,
                now: datetime) -> Board:
    """The counts per branch and per member of staff, with the outliers marked."""
    rows = window(period, scope, ctx, now)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        by_branch = await store.branch_figures(conn, rows)
        by_staff = await store.staff_figures(conn, rows)
        locks = await store.lockouts(conn, rows)
    branches = _units("branch", [*by_branch, *({**r, "key": r["branch"], "signal": "lockout"}
                                               for r in locks)])
    staff = _units("staff", [*by_staff, *({**r, "key": r["staff"], "signal": "lockout"}
                                          for r in locks)])
    return Board(period=period, branches=branches, staff=staff,
                 flags=outliers([*branches, *staff]))


def _units(kind: str, rows) -> list[Unit]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    about: dict[str, dict] = {}
    for row in rows:
        counts[row["key"]][row["signal"]] += row["n"]
        about.setdefault(row["key"], dict(row))
    named = kind == "branch"  # a member of staff is shown by their username alone
    return [Unit(kind=kind, key=key, governorate=about[key]["governorate"],
                 counts=dict(counts[key]), name_ar=about[key]["branch_ar"] if named else "",
                 name_en=about[key]["branch_en"] if named else "")
            for key in sorted(counts)]


class Behind(msgspec.Struct, frozen=True, kw_only=True):
    tracking_number: str
    at: datetime
    branch: str | None
    staff: str | None


async def items_behind(conn: asyncpg.Connection, *, period: Period, scope: Scope,
                       ctx: CustodyContext, now: datetime, signal: str, branch: str | None,
                       staff: str | None, page: int, per_page: int = 50
                       ) -> tuple[list[Behind], bool]:
    """One page of the items behind a figure, and whether there is a next page."""
    rows = await store.signal_items(conn, window(period, scope, ctx, now), signal=signal,
                                    branch=branch, staff=staff, limit=per_page + 1,
                                    offset=(page - 1) * per_page)
    return [Behind(**dict(r)) for r in rows[:per_page]], len(rows) > per_page
