"""What the demo day is, and the short walk through it printed once, when it is made."""

from __future__ import annotations

import datetime as dt

import msgspec

from delivery.custody.model import State
from delivery.planning.model import BAGHDAD

# After this hour (Asia/Baghdad) too little of the delivery day is left to show a route: the
# demo plans the next day instead.
LAST_PLANNING_HOUR = 12


class DemoStaff(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    role: str
    site: str | None
    password: str


class Highlight(msgspec.Struct, frozen=True, kw_only=True):
    """A document worth following, and why."""

    tracking_number: str
    state: str
    note: str


class Page(msgspec.Struct, frozen=True, kw_only=True):
    """A citizen's tracking page (the link of their SMS), and what it offers."""

    url: str
    note: str


class CourierRoute(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    stops: int
    items: int


class DemoDay(msgspec.Struct, frozen=True, kw_only=True):
    """The demo world's agency and, unless `left_out` says why not, its day."""

    agency_code: str
    agency_key: str
    branch: str
    branch_name: str
    centre: str
    staff: tuple[DemoStaff, ...] = ()
    states: dict[str, int] = {}  # documents per state
    highlights: tuple[Highlight, ...] = ()
    pages: tuple[Page, ...] = ()
    route_day: dt.date | None = None
    routes: tuple[CourierRoute, ...] = ()
    left_out: str | None = None


def route_day(now: dt.datetime) -> dt.date:
    """The day the demo plans: today in Baghdad, or tomorrow once most of today is gone."""
    local = now.astimezone(BAGHDAD)
    return local.date() + dt.timedelta(days=0 if local.hour < LAST_PLANNING_HOUR else 1)


def render_walk(day: DemoDay, base_url: str) -> str:
    """The demo day in a few lines: the key, the accounts, documents to follow, where to look."""
    key = [f"  agency {day.agency_code}, API key (shown once, keep it):", f"    {day.agency_key}"]
    if day.left_out is not None or day.route_day is None:
        return "\n".join([f"Demo agency {day.agency_code}", *key,
                          f"  no demo staff or documents: {day.left_out}"])
    width = max(len(s.username) for s in day.staff)
    role_width = max(len(s.role) for s in day.staff)
    states = [f"{state} {day.states[state]}" for state in State if state in day.states]
    when = day.route_day.isoformat()
    routes = ", ".join(f"{r.username} {r.stops} stops ({r.items} items)" for r in day.routes)
    lines = [
        f"Demo day at {day.branch} {day.branch_name}, fed by the sorting centre {day.centre}",
        *key,
        "  staff (passwords shown once; the console: sign in at "
        f"{base_url}/ops/login; handhelds: POST /v1/auth/login with username, password, device_id):",
        *(f"    {s.username:<{width}}  {s.role:<{role_width}}  {s.site or '-':<6}  {s.password}"
          for s in day.staff),
        *_flow(f"  {sum(day.states.values())} documents: ", states),
        "  follow these:",
        *(f"    {h.tracking_number}  {h.state:<18}  {h.note}" for h in day.highlights),
        "  citizens' pages (the link in their SMS):",
        *(f"    {p.url}  {p.note}" for p in day.pages),
        f"  route for {when}: {routes or 'no stops'}",
        f"    supervisor: GET {base_url}/v1/ops/routes/{day.branch}/{when} (page: /ops/routes/…)",
        f"    couriers:   GET {base_url}/v1/routes/mine?date={when}",
        f"  complaints, inspector: {base_url}/ops/complaints (API: GET /v1/ops/complaints)",
        "  every custody chain verifies: tasheel verify-custody",
    ]
    return "\n".join(lines)


def _flow(head: str, parts: list[str], width: int = 96) -> list[str]:
    """`parts` after `head`, comma-separated, in lines of at most `width` (a part is not split)."""
    lines, line = [], head
    for n, part in enumerate(parts):
        piece = part + ("," if n < len(parts) - 1 else "")
        if len(line) + len(piece) > width and line.strip() != head.strip():
            lines.append(line.rstrip())
            line = "    "
        line += piece + " "
    return [*lines, line.rstrip()]
