"""What waits for each user on their home page, counted in their scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from delivery.console.complaints import store as complaints_store
from delivery.console.scope import Scope
from delivery.custody import supervisor
from delivery.staff.auth import StaffUser
from delivery.staff.model import StaffRole


class Waiting(msgspec.Struct, frozen=True, kw_only=True):
    """One thing waiting, counted, and where it is handled."""

    arabic: str
    english: str
    count: int
    href: str


async def waiting(conn: asyncpg.Connection, state: Any, staff: StaffUser) -> list[Waiting]:
    """Open complaints for inspectors, open alerts for supervisors (administrators: both)."""
    found: list[Waiting] = []
    if staff.role in (StaffRole.inspector, StaffRole.admin):
        money, other = await complaints_store.count_open(conn, complaints_store.Viewer.of(staff))
        found += [Waiting(arabic="إجابات «نعم» عن طلب المال بانتظار المعالجة",
                          english='"Yes, asked for money" answers to handle', count=money,
                          href="/ops/complaints"),
                  Waiting(arabic="شكاوى أخرى بانتظار المعالجة", english="Other open complaints",
                          count=other, href="/ops/complaints")]
    if staff.role in (StaffRole.supervisor, StaffRole.admin) and not Scope.of(staff).nothing:
        alerts = await supervisor.alerts(conn, state.custody, staff, now=datetime.now(UTC))
        found.append(Waiting(arabic="تنبيهات موقعك", english="Alerts at your site",
                             count=len(alerts), href="/ops/site"))
    return found
