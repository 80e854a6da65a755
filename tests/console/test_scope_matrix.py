"""Every operations route, page and form × every console role × their own part of the country or
another's: nothing of the Karkh branch (BG-002) is readable or changeable by anyone who does not
answer for it, and the branch a complaint is about cannot close it.

The world: a Karkh item delivered with a complaint ("asked for money"), a dead letter about it, a
Karkh item stuck at the branch (an alert) and the bag it arrived in, a Karkh courier and a route
plan. Each user signs in
to the console (and, for the API, to a handheld token). For every route:
- a user who may see Karkh gets the page (200), and where the route is about a Karkh thing, sees
  it (so the check below is not empty);
- every other user gets a refusal or a page without any Karkh marker, never a 500;
- a form or an API change by every other user leaves the database exactly as it was; the same
  change by a user who may make it changes it (so the refusals are not a badly made request).
A route added later without a line here fails `test_every_operations_route_is_in_the_matrix`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from delivery.custody import bagging
from delivery.staff import services as staff
from delivery.staff.auth import StaffUser
from delivery.staff.model import StaffAccount
from tests.api.test_tracking_forms import form as citizen_form
from tests.api.tracking_support import new_item, staff_ids
from tests.console_support import PASSWORD, csrf_of, sign_in
from tests.integration.planning_support import add_courier, tomorrow
from tests.integration.sms_support import add_sms, drain, outbox_row, twilio_settings

pytestmark = pytest.mark.usefixtures("demo_sites")

OWN = "BG-002"
WORDS = "the courier asked me for 25,000 dinars"
# Who signs in: (role, where). "own" users answer for Karkh; the others do not.
USERS: dict[str, tuple[str, dict]] = {
    "sup_own": ("supervisor", {"site_code": OWN}),
    "sup_sibling": ("supervisor", {"site_code": "BG-006"}),
    "sup_far": ("supervisor", {"site_code": "BA-001"}),
    "insp_own": ("inspector", {"governorate": "IQ-BG"}),
    "insp_far": ("inspector", {"governorate": "IQ-BA"}),
    "insp_nat": ("inspector", {"national": True}),
    "desk_own": ("helpdesk", {"governorate": "IQ-BG"}),
    "desk_far": ("helpdesk", {"governorate": "IQ-BA"}),
    "admin": ("admin", {}),
    "admin_own": ("admin", {"site_code": OWN}),
}
SITE_PEOPLE = {"sup_own", "admin", "admin_own"}
INSPECTORS = {"insp_own", "insp_nat", "admin"}  # admin_own is the implicated branch's
FINDERS = {"sup_own", "insp_own", "insp_nat", "desk_own", "admin", "admin_own"}
# Tables that record reads and sessions, which a refused request may still write.
LOGS = {"staff_sessions", "complaint_reads", "ops_reads", "devices", "schema_migrations",
        "helpdesk_lookups"}
PHONE = "07701234567"  # every test item's citizen (tests/api/tracking_support.py)
DESKS = {"desk_own", "desk_far", "admin", "admin_own"}


@dataclass
class World:
    tn: str  # delivered, with the complaint and a dead letter
    ref: str
    stuck_tn: str  # at the branch for days: an alert
    stuck_id: int  # what the Baghdad help desk looked up (the citizen on the phone)
    bag_id: str  # the bag the stuck item arrived in from the sorting centre
    report_id: int
    outbox_id: int
    day: str
    courier: str
    bag: str  # open at the Baghdad centre for Karkh

    def markers(self) -> list[str]:
        return [self.tn, self.ref, self.stuck_tn, WORDS, self.courier, self.bag_id]


@dataclass
class User:
    name: str
    cookie: str
    csrf: str
    token: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    path: str  # with {tn}, {report_id}, … filled from the world
    may: frozenset[str]
    shows: str | None = None  # a World attribute the allowed users must see


@dataclass(frozen=True)
class Change:
    method_path: str
    may: frozenset[str]
    data: dict = field(default_factory=dict)
    json: bool = False
    proven: bool = True  # the allowed user's change must show in the database


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


PAGES = [
    Page("/ops", frozenset(USERS)),
    Page("/ops/complaints?status=all", INSPECTORS, "tn"),
    Page("/ops/complaints/{report_id}", INSPECTORS, "WORDS"),
    Page("/ops/signals", INSPECTORS),
    Page("/ops/signals/items?signal=delivered&branch=BG-002", INSPECTORS, "tn"),
    Page("/ops/search?q={ref}", FINDERS, "tn"),
    Page("/ops/items/{tn}", FINDERS, "ref"),
    Page("/ops/site?site=BG-002", SITE_PEOPLE),
    Page("/ops/site/items?state=delivered&site=BG-002", SITE_PEOPLE, "tn"),
    Page("/ops/site/stuck?state=at_branch&site=BG-002", SITE_PEOPLE, "stuck_tn"),
    Page("/ops/site/alerts?site=BG-002", SITE_PEOPLE, "stuck_tn"),
    Page("/ops/site/alerts/acknowledged?site=BG-002", SITE_PEOPLE),
    Page("/ops/site/dead-letters?site=BG-002", SITE_PEOPLE, "tn"),
    Page("/ops/routes?branch=BG-002", SITE_PEOPLE),
    Page("/ops/routes/BG-002/{day}", SITE_PEOPLE, "courier"),
    Page("/ops/routes/BG-002/{day}/plan.svg", SITE_PEOPLE),
    Page("/ops/couriers?branch=BG-002", SITE_PEOPLE, "courier"),
    Page("/ops/helpdesk", DESKS),
    Page("/ops/helpdesk/items/{stuck_id}", _f("desk_own"), "stuck_tn"),  # its lookup only
    # The API, with each user's handheld token.
    Page("/v1/ops/complaints?status=all", INSPECTORS, "WORDS"),
    Page("/v1/ops/outbox/dead", SITE_PEOPLE, "outbox_id"),
    Page("/v1/ops/routes/BG-002/{day}", SITE_PEOPLE, "courier"),
    Page("/v1/supervisor/alerts", SITE_PEOPLE, "stuck_tn"),
    # The handheld's working day: each one's own; bags to the sites at either end.
    Page("/v1/me", frozenset(USERS)),
    Page("/v1/me/today", _f()),  # handheld roles only, none of the console's
    Page("/v1/bags?status=arrived", SITE_PEOPLE, "bag_id"),
    Page("/v1/bags/{bag_id}", SITE_PEOPLE, "stuck_tn"),
    Page("/v1/branch/items?state=at_branch", _f("sup_own"), "stuck_tn"),  # a branch's own
    Page("/v1/labels/items/{tn}", SITE_PEOPLE, "tn"),
    Page("/v1/labels/items/{stuck_tn}?format=pdf", SITE_PEOPLE),
    Page("/v1/labels/bags/{bag}", SITE_PEOPLE, "bag"),
]
CHANGES = [
    Change("POST /ops/complaints/{report_id}/handled", INSPECTORS, {"outcome": "unfounded"}),
    Change("POST /ops/complaints/{report_id}/reopen", INSPECTORS, {"note": "called again"}),
    Change("POST /ops/site/alerts/acknowledge?site=BG-002", SITE_PEOPLE, {"form": "alert"}),
    Change("POST /ops/site/dead-letters/{outbox_id}/retry?site=BG-002", SITE_PEOPLE),
    Change("POST /ops/routes/BG-002/plan", SITE_PEOPLE, {"day": "{day}"}, proven=False),
    Change("POST /ops/couriers/day?branch=BG-002", SITE_PEOPLE,
           {"username": "{courier}", "day": "{day}", "kind": "off", "reason": "sick"}),
    Change("POST /ops/couriers/clear?branch=BG-002", SITE_PEOPLE,
           {"username": "{courier}", "day": "{day}"}),
    Change("POST /ops/couriers/profile?branch=BG-002", SITE_PEOPLE,
           {"username": "{courier}", "vehicle": "car", "capacity": "25", "start": "09:00",
            "end": "15:00"}),
    Change("POST /ops/helpdesk/lookup", _f("desk_own", "admin", "admin_own"),
           {"tracking_number": "{stuck_tn}", "phone": PHONE}, proven=False),  # a read
    Change("POST /ops/helpdesk/items/{stuck_id}/code", _f("desk_own")),
    Change("POST /ops/helpdesk/items/{stuck_id}/confirm", _f("desk_own"), {"code": "123456"},
           proven=False),
    Change("POST /ops/helpdesk/items/{stuck_id}/mode", _f("desk_own"),
           {"mode": "pickup", "branch": OWN}, proven=False),  # no confirmed code: refused
    Change("POST /ops/helpdesk/items/{stuck_id}/day", _f("desk_own"),
           {"day": "{day}", "window": "morning"}, proven=False),
    Change("POST /ops/helpdesk/items/{stuck_id}/address", _f("desk_own"),
           {"district": "Karkh", "landmark": "the mosque"}, proven=False),
    Change("POST /v1/ops/complaints/{report_id}/handled", INSPECTORS,
           {"outcome": "investigated"}, json=True),
    Change("POST /v1/ops/complaints/{report_id}/reopen", INSPECTORS, {"note": "again"},
           json=True),
    Change("POST /v1/ops/outbox/{outbox_id}/retry", SITE_PEOPLE, json=True, proven=False),
    Change("POST /v1/ops/routes/BG-002/{day}/plan", SITE_PEOPLE, json=True,
           proven=False),  # the day's plan is made already and nothing changed: kept
    Change("POST /v1/supervisor/items/{stuck_tn}/code", SITE_PEOPLE, {"reason": "lost sms"},
           json=True, proven=False),  # no code at the branch yet: refused to everyone
    Change("POST /v1/supervisor/items/{stuck_tn}/unlock", SITE_PEOPLE, {"reason": "x"},
           json=True, proven=False),  # not locked: refused to everyone
    Change("POST /v1/supervisor/items/{stuck_tn}/damaged", SITE_PEOPLE, {"reason": "wet"},
           json=True),
    Change("POST /v1/supervisor/items/{tn}/lost", SITE_PEOPLE, {"reason": "x"}, json=True,
           proven=False),  # delivered: nothing to mark
    Change("POST /v1/supervisor/items/{stuck_tn}/found", SITE_PEOPLE, {"reason": "x"},
           json=True, proven=False),  # damaged, not lost
    Change("POST /v1/supervisor/staff/unlock", SITE_PEOPLE,
           {"username": "{courier}", "reason": "x"}, json=True, proven=False),  # not locked
    Change("POST /v1/bags", _f(), {"destination": OWN}, json=True, proven=False),  # sorting clerks
    Change("POST /v1/items/{stuck_tn}/phone", _f(), json=True, proven=False),  # its courier only
]
# Routes outside the matrix, and why.
NOT_SCOPED = {"/ops/login": "signing in", "/ops/logout": "one's own session",
              "/v1/auth/renew": "one's own token",
              # An agency's key, never a member of staff's: each agency sees only its own items
              # (tests/api/test_reports.py::test_another_agencys_items_never_appear,
              # tests/api/test_return_manifest.py).
              "/v1/reports/summary": "an agency's own items",
              "/v1/reports/items": "an agency's own items",
              "/v1/reports/items.csv": "an agency's own items",
              "/v1/returns": "an agency's own returns", "/v1/returns/{}/manifest": "the same"}
# The routes the matrix must cover: the console, operations, and what the handheld reads.
SCOPED_PREFIXES = ("/ops", "/v1/ops", "/v1/supervisor", "/v1/me", "/v1/bags", "/v1/branch",
                   "/v1/items", "/v1/auth/renew", "/v1/labels")


def _fill(text: str, world: World) -> str:
    values = {**world.__dict__, "WORDS": WORDS}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m[1]]), text)


async def _world(client, conn, settings, fake) -> World:
    token, item_id = await new_item(conn, state="delivered", branch=OWN)
    status, _ = await citizen_form(client, token, "report", {"asked": "yes", "complaint": WORDS})
    assert status == 303
    outbox_id = await add_sms(conn, item_id, "delivered")
    fake.fail_next(1, status=503)
    await drain(twilio_settings(settings, fake, sms_max_attempts=1), conn)
    assert (await outbox_row(conn, outbox_id))["status"] == "dead"
    _, stuck_id = await new_item(conn, state="at_branch", branch=OWN)
    # Days at the branch with no change (the clock of this item moved back).
    await conn.execute("UPDATE items SET updated_at = now() - interval '9 days' WHERE id = $1",
                       stuck_id)
    courier = "mx-courier"
    await add_courier(conn, courier, branch=OWN)
    bag_id = await _arrived_bag(conn, stuck_id)
    bag = await _karkh_bag(conn)
    row = await conn.fetchrow("SELECT i.tracking_number, i.external_ref, r.id FROM items i "
                              "JOIN citizen_reports r ON r.item_id = i.id")
    return World(tn=row["tracking_number"], ref=row["external_ref"], report_id=row["id"],
                 stuck_tn=await conn.fetchval("SELECT tracking_number FROM items WHERE id = $1",
                                              stuck_id), stuck_id=stuck_id,
                 outbox_id=outbox_id, day=tomorrow().isoformat(), courier=courier,
                 bag_id=bag_id, bag=bag)


async def _arrived_bag(conn, item_id: int) -> str:
    """A bag from the Baghdad sorting centre that arrived at Karkh just now with the item."""
    sorter = (await staff_ids(conn))["sorting_clerk"]
    bag_id = "BAG0000005724"
    await conn.execute(
        "INSERT INTO bags (bag_id, origin_id, destination_id, status, opened_by, opened_at, "
        "dispatched_at, arrived_at) SELECT $1, c.id, b.id, 'arrived', $2, now(), now(), now() "
        "FROM sites c, sites b WHERE c.code = 'SC-BG' AND b.code = $3", bag_id, sorter, OWN)
    await conn.execute("INSERT INTO bag_items (bag_id, item_id, added_at) VALUES ($1, $2, now())",
                       bag_id, item_id)
    return bag_id


async def _karkh_bag(conn) -> str:
    """A bag the Baghdad sorting centre opened for Karkh."""
    member = await staff.create_staff(conn, username="mx-sorter", password=PASSWORD,
                                      role="sorting_clerk", site_code="SC-BG")
    sorter = StaffUser(**{f: getattr(member, f) for f in StaffAccount.__struct_fields__},
                       device_id="dev-mx-sorter")
    return (await bagging.open_bag(conn, sorter, OWN, now=datetime.now(UTC))).bag_id


async def _users(client, conn) -> dict[str, User]:
    users = {}
    for name, (role, where) in USERS.items():
        username = name.replace("_", "-")
        await staff.create_staff(conn, username=username, password=PASSWORD, role=role,
                                 site_code=where.get("site_code"),
                                 governorate=where.get("governorate"),
                                 national=where.get("national", False))
        client.cookies.clear()
        assert (await sign_in(client, username)).status_code == 303
        cookie = client.cookies.get("tsk_ops")
        home = await client.get("/ops")
        token = await client.post("/v1/auth/login", json={
            "username": username, "password": PASSWORD, "device_id": f"dev-{username}"})
        assert token.status_code == 200, token.text
        users[name] = User(name, cookie, csrf_of(home.text), {
            "Authorization": f"Bearer {token.json()['access_token']}",
            "X-Device-Id": f"dev-{username}"})
    client.cookies.clear()
    return users


async def _as(client, user: User, method: str, path: str, *, data=None, json_body=None):
    client.cookies.clear()
    headers = dict(user.token) if path.startswith("/v1/") else {
        "Cookie": f"tsk_ops={user.cookie}"}
    if data is not None and not path.startswith("/v1/"):
        data = {**data, "csrf": user.csrf}
    return await client.request(method, path, headers=headers, data=data, json=json_body,
                                follow_redirects=False)


async def _desk_looks_up(client, desk: User, world: World) -> None:
    found = await _as(client, desk, "POST", "/ops/helpdesk/lookup",
                      data={"tracking_number": world.stuck_tn, "phone": PHONE})
    assert found.headers["location"] == f"/ops/helpdesk/items/{world.stuck_id}"


async def fingerprint(conn) -> dict[str, str]:
    """Every table's content but the read logs, as one digest each."""
    tables = await conn.fetch("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
    digests = {}
    for (name,) in tables:
        if name not in LOGS:
            digests[name] = await conn.fetchval(
                f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) '
                f'FROM "{name}" t')
    return digests


def _form_fields(page: str, action_part: str) -> dict[str, str]:
    """The fields of the first form on a page whose action contains `action_part`."""
    for attrs, body in re.findall(r"<form([^>]*)>(.*?)</form>", page, re.S):
        if action_part in html.unescape(attrs):
            fields = {}
            for tag in re.findall(r"<input[^>]*>", body):
                found = dict(re.findall(r'(\w+)="([^"]*)"', tag))
                if "name" in found:
                    fields[found["name"]] = html.unescape(found.get("value", ""))
            return fields
    raise AssertionError(f"no form for {action_part}")


async def test_nothing_of_another_site_is_readable(client, conn, settings, fake):
    world = await _world(client, conn, settings, fake)
    users = await _users(client, conn)
    await _desk_looks_up(client, users["desk_own"], world)
    plan = await _as(client, users["sup_own"], "POST", "/ops/routes/BG-002/plan",
                     data={"day": world.day})
    assert plan.status_code == 303, plan.text
    for page in PAGES:
        path = _fill(page.path, world)
        for name, user in users.items():
            response = await _as(client, user, "GET", path)
            where = (path, name, response.status_code)
            assert response.status_code < 500, where
            if name in page.may:
                assert response.status_code == 200, (*where, response.text[:300])
                if page.shows:
                    assert str(getattr(world, page.shows, WORDS)) in response.text, where
            else:
                assert response.status_code in (200, 303, 403, 404, 422), where
                for marker in world.markers():
                    if marker not in path:
                        assert marker not in response.text, (*where, marker)


async def test_nothing_of_another_site_is_changeable(client, conn, settings, fake):
    world = await _world(client, conn, settings, fake)
    users = await _users(client, conn)
    await _desk_looks_up(client, users["desk_own"], world)
    for change in CHANGES:
        method, path = change.method_path.split(" ")
        path = _fill(path, world)
        data = {k: _fill(v, world) for k, v in change.data.items()}
        if data.pop("form", None) == "alert":
            alerts = await _as(client, users["sup_own"], "GET", "/ops/site/alerts?site=BG-002")
            data = {k: v for k, v in _form_fields(alerts.text, "/alerts/acknowledge").items()
                    if k != "csrf"}
        for name, user in users.items():
            if name in change.may:
                continue
            before = await fingerprint(conn)
            response = await _send(client, user, method, path, data, change.json)
            assert response.status_code < 500, (path, name, response.text[:300])
            assert await fingerprint(conn) == before, (path, name, response.status_code)
            if response.status_code == 303:  # where the form leads shows nothing either
                response = await _as(client, user, "GET", response.headers["location"])
            for marker in world.markers():
                if marker not in path and marker not in data.values():
                    assert marker not in response.text, (path, name, marker)
        if change.proven:
            allowed = users[sorted(change.may)[0] if "sup_own" not in change.may else "sup_own"]
            before = await fingerprint(conn)
            response = await _send(client, allowed, method, path, data, change.json)
            assert response.status_code in (200, 202, 303), (path, response.text[:300])
            assert await fingerprint(conn) != before, path


async def _send(client, user: User, method: str, path: str, data: dict, json: bool):
    if json:
        return await _as(client, user, method, path, json_body=data or None)
    return await _as(client, user, method, path, data=data)


def test_every_operations_route_is_in_the_matrix(settings):
    from delivery.web.app import create_app

    app = create_app(settings)
    listed = {re.sub(r"\{\w+\}", "{}", re.sub(r"\?.*", "", p.path)) for p in PAGES}
    listed |= {re.sub(r"\{\w+\}", "{}", re.sub(r"\?.*", "", c.method_path.split(" ")[1]))
               for c in CHANGES}
    listed |= set(NOT_SCOPED)
    missing = []
    for route in app.routes:
        if not route.path.startswith(SCOPED_PREFIXES):
            continue
        if route.path.startswith("/ops/static"):
            continue
        shape = re.sub(r"\{[^}]+\}", "{}", route.path)
        concrete = {re.sub(r"BG-002|\d{4}-\d{2}-\d{2}", "{}", p) for p in listed}
        if shape not in listed and shape not in concrete:
            missing.append(route.path)
    assert missing == []
